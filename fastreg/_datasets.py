"""Data loaders for the command line: each returns ``(X, y, feature_names)``.

Formats, chosen by the file's extension:

- ``.csv``, ``.tsv``, ``.txt``: delimited text with a header row; ``target`` names the
  response column (default: the last one).
- ``.svm``, ``.svmlight``, ``.libsvm``: ``label idx:value ...`` lines; ``#`` starts a
  comment, ``qid:`` fields are ignored; indices are 1-based unless an index 0 appears.
  X is returned as a CSC matrix.
- ``.mtx``: MatrixMarket, read with `scipy.io.mmread`.
- ``.npz``: ``np.savez(path, X=X, y=y)`` arrays, or a `scipy.sparse.save_npz` matrix.

For a matrix without a separate target (``.mtx``, a sparse ``.npz``, an ``.npz`` holding
only ``X``) the target is column ``target`` of the matrix, a 0-based index (default: the
last column, which is then removed from X), or the numbers in ``target_file`` (one per
line, or a ``.npy`` array). Sparse matrices stay sparse (CSC) throughout.

Every error is a `ValueError` (`FileNotFoundError` for a missing file) that names the
file and what is wrong with it.
"""
from __future__ import annotations

import csv
import zipfile
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

__all__ = ["SUPPORTED_EXTENSIONS", "load_data", "load_default"]

_DELIMITED = (".csv", ".tsv", ".txt")
_SVMLIGHT = (".svm", ".svmlight", ".libsvm")
SUPPORTED_EXTENSIONS = _DELIMITED + _SVMLIGHT + (".mtx", ".npz")


def load_default():
    """The bundled diabetes data (Efron et al., 2004): 442 patients x 10 baseline
    variables; the target ``progression`` is a measure of disease progression one year
    later."""
    with as_file(files("fastreg") / "data" / "diabetes.csv") as path:
        return _load_delimited(path, target="progression", target_file=None)


def load_data(path, target=None, target_file=None):
    """Load ``(X, y, feature_names)`` from ``path``; see the module docstring for formats.

    Parameters
    ----------
    path : str or Path
    target : str or int, optional
        Delimited text: the name of the response column. Matrices: the 0-based index of
        the response column. Default: the last column.
    target_file : str or Path, optional
        Read y from this file instead (one number per line, or ``.npy``); every column
        of the data is then a feature.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a data file")
    if target is not None and target_file is not None:
        raise ValueError("give either a target column or a target file, not both")
    ext = path.suffix.lower()
    if ext in _DELIMITED:
        return _load_delimited(path, target, target_file)
    if ext in _SVMLIGHT:
        return _load_svmlight(path, target, target_file)
    if ext == ".mtx":
        return _load_mtx(path, target, target_file)
    if ext == ".npz":
        return _load_npz(path, target, target_file)
    raise ValueError(f"unknown file extension {ext or '(none)'!r} for {path}; supported: "
                     f"{', '.join(SUPPORTED_EXTENSIONS)}")


@contextmanager
def _text_errors(path):
    """Report a file that is not UTF-8 text as a ValueError naming it."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); is it "
                         "a binary file with the wrong extension?") from None


def _list(names, limit=20):
    """'a, b, c' or 'a, b, ... (n more)' for long lists."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"


# ---------------------------------------------------------------- delimited text


def _sniff_delimiter(path, first_line):
    if path.suffix.lower() == ".csv":
        return ","
    if path.suffix.lower() == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",\t; ").delimiter
    except csv.Error:
        return ","


def _load_delimited(path, target, target_file):
    with open(path, newline="", encoding="utf-8-sig") as fh, _text_errors(path):
        first_line = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=_sniff_delimiter(path, first_line),
                            skipinitialspace=True)
        # (line number, fields) of every non-blank line
        lines = [(reader.line_num, row) for row in reader if any(f.strip() for f in row)]
    if not lines:
        raise ValueError(f"{path} is empty: expected a header row and data rows")
    (_, header), rows = lines[0], lines[1:]
    header = [name.strip() for name in header]
    if not rows:
        raise ValueError(f"{path} has a header but no data rows")
    for line_num, row in rows:
        if len(row) != len(header):
            raise ValueError(f"{path}, line {line_num}: {len(row)} fields but the header has "
                             f"{len(header)} ({_list(header)})")

    if target_file is not None:
        target_col = None
    elif target is None:
        target_col = len(header) - 1
    else:
        matches = [j for j, name in enumerate(header) if name == str(target)]
        if not matches:
            raise ValueError(f"target column {str(target)!r} not found in {path}; available "
                             f"columns: {_list(header)}")
        if len(matches) > 1:
            raise ValueError(f"target column {str(target)!r} appears {len(matches)} times in "
                             f"the header of {path}")
        target_col = matches[0]

    values = _parse_numbers([row for _, row in rows], path, header, [n for n, _ in rows])
    if target_col is None:
        X, names = values, header
        y = _read_target_file(target_file, X.shape[0])
    else:
        y = values[:, target_col]
        X = np.delete(values, target_col, axis=1)
        names = header[:target_col] + header[target_col + 1:]
    if X.shape[1] == 0:
        raise ValueError(f"{path} has no feature columns besides the target "
                         f"{header[target_col]!r}")
    return np.asfortranarray(X), np.ascontiguousarray(y), names


def _parse_numbers(rows, path, header, line_nums):
    """rows of strings -> float64 array; a bad cell is reported by column and row."""
    cells = np.char.strip(np.array(rows, dtype=str))
    try:
        values = cells.astype(np.float64)
    except ValueError:
        values = None
    if values is not None and np.all(np.isfinite(values)):
        return values
    # slow path, only on failure: find the first bad cell in reading order
    parsed = np.empty(cells.shape)
    for (i, j), text in np.ndenumerate(cells):
        text = str(text)
        try:
            parsed[i, j] = float(text)
        except ValueError:
            what = f"the non-numeric value {text!r}" if text else "an empty (missing) value"
        else:
            if np.isfinite(parsed[i, j]):
                continue
            what = f"the non-finite value {text!r}"
        raise ValueError(f"{path}: {what} in column {header[j]!r}, row {i + 1} "
                         f"(line {line_nums[i]}); every value must be a finite number")
    return parsed


# ---------------------------------------------------------------- svmlight


def _load_svmlight(path, target, target_file):
    if target is not None or target_file is not None:
        raise ValueError(f"{path}: an svmlight file carries the target as the first field of "
                         "each line; a target column or target file does not apply")
    labels, rows, cols, vals = [], [], [], []
    with open(path, encoding="utf-8") as fh, _text_errors(path):
        for line_num, line in enumerate(fh, start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            i = len(labels)
            try:
                labels.append(float(fields[0]))
            except ValueError:
                raise ValueError(f"{path}, line {line_num}: the label {fields[0]!r} is not a "
                                 "number") from None
            for field in fields[1:]:
                idx, sep, val = field.partition(":")
                if idx == "qid":
                    continue
                try:
                    if not sep:
                        raise ValueError
                    cols.append(int(idx))
                    vals.append(float(val))
                except ValueError:
                    raise ValueError(f"{path}, line {line_num}: expected index:value, got "
                                     f"{field!r}") from None
                rows.append(i)
    if not labels:
        raise ValueError(f"{path} is empty: no data lines")
    y = np.array(labels)
    cols = np.array(cols, dtype=np.int64)
    vals = np.array(vals, dtype=np.float64)
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(vals)):
        raise ValueError(f"{path} contains NaN or infinite values")
    if cols.size and cols.min() < 0:
        raise ValueError(f"{path}: negative feature index {cols.min()}")
    base = 0 if cols.size and cols.min() == 0 else 1
    n_features = int(cols.max()) + 1 - base if cols.size else 0
    if n_features == 0:
        raise ValueError(f"{path} has labels but no feature values")
    X = sp.csc_matrix((vals, (np.array(rows, dtype=np.int64), cols - base)),
                      shape=(y.size, n_features))  # duplicated entries are summed
    names = [f"x{j + base}" for j in range(n_features)]
    return X, y, names


# ---------------------------------------------------------------- matrices


def _load_mtx(path, target, target_file):
    try:
        M = scipy.io.mmread(path)
    except Exception as exc:  # scipy raises several types for malformed files
        raise ValueError(f"{path} is not a valid MatrixMarket file: {exc}") from None
    return _split_matrix(M, path, target, target_file)


def _load_npz(path, target, target_file):
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not an .npz file (np.savez or scipy.sparse.save_npz "
                         "writes a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as exc:
        raise ValueError(f"{path} is not a readable .npz file: {exc}") from None
    if "format" in arrays and "shape" in arrays:  # written by scipy.sparse.save_npz
        return _split_matrix(sp.load_npz(path), path, target, target_file)
    if "X" not in arrays:
        found = ", ".join(arrays) or "none"
        raise ValueError(f"{path}: expected arrays 'X' and 'y' (np.savez(path, X=X, y=y)) or a "
                         f"scipy.sparse.save_npz matrix; found arrays: {found}")
    X = arrays["X"]
    if X.ndim != 2:
        raise ValueError(f"{path}: X must be 2-D; got shape {X.shape}")
    if "y" not in arrays:
        return _split_matrix(X, path, target, target_file)
    if target is not None or target_file is not None:
        raise ValueError(f"{path} holds its own target array 'y'; a target column or target "
                         "file does not apply")
    y = arrays["y"]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"{path}: y must be 1-D with {X.shape[0]} values (one per row of X); "
                         f"got shape {y.shape}")
    names = [f"x{j}" for j in range(X.shape[1])]
    return _as_float(X, path), _as_float(y, path), names


def _as_float(a, path):
    if a.dtype.kind not in "fiub":
        raise ValueError(f"{path}: arrays must be numeric; got dtype {a.dtype}")
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def _split_matrix(M, path, target, target_file):
    """Split a dense or sparse matrix into X (without the target column) and y."""
    if sp.issparse(M):
        M = sp.csc_matrix(M)  # keeps the stored values; never densifies
        if M.dtype.kind not in "fiub":
            raise ValueError(f"{path}: the matrix must be real-valued; got dtype {M.dtype}")
        if M.dtype not in (np.float32, np.float64):
            M = M.astype(np.float64)
    else:
        M = _as_float(np.asarray(M), path)
        if M.ndim != 2:
            raise ValueError(f"{path}: expected a 2-D matrix; got shape {M.shape}")
    n_samples, n_columns = M.shape
    if n_samples == 0 or n_columns == 0:
        raise ValueError(f"{path} is empty: matrix of shape {M.shape}")
    if target_file is not None:
        return M, _read_target_file(target_file, n_samples), [f"x{j}" for j in range(n_columns)]

    j = n_columns - 1 if target is None else _column_index(target, n_columns, path)
    if n_columns == 1:
        raise ValueError(f"{path} has a single column: nothing is left for the features once "
                         "it is used as the target; give a target file")
    keep = np.delete(np.arange(n_columns), j)
    if sp.issparse(M):
        y = M[:, [j]].toarray().ravel()
        X = sp.csc_matrix(M[:, keep])
    else:
        y = M[:, j].copy()
        X = np.asfortranarray(M[:, keep])
    return X, y, [f"x{k}" for k in keep]


def _column_index(target, n_columns, path):
    """A 0-based (or negative, from the end) column index from an int or a digit string."""
    j = None
    if isinstance(target, str) and target.strip().lstrip("-").isdigit():
        j = int(target)
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        j = int(target)
    if j is None:
        raise ValueError(f"for a matrix file ({path.suffix}) the target is a 0-based column "
                         f"index; got {target!r}")
    if not -n_columns <= j < n_columns:
        raise ValueError(f"target column {j} is out of range: {path} has {n_columns} columns "
                         f"(0..{n_columns - 1})")
    return j % n_columns


def _read_target_file(target_file, n_samples):
    path = Path(target_file)
    if not path.exists():
        raise FileNotFoundError(f"target file not found: {path}")
    if path.suffix.lower() == ".npy":
        try:
            y = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ValueError(f"{path} is not a readable .npy file: {exc}") from None
        if y.dtype.kind not in "fiub":
            raise ValueError(f"{path}: the target must be numeric; got dtype {y.dtype}")
        if y.ndim == 2 and 1 in y.shape:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"{path}: the target must be 1-D; got shape {y.shape}")
        y = y.astype(np.float64)
    else:
        values = []
        with open(path, encoding="utf-8") as fh, _text_errors(path):
            for line_num, line in enumerate(fh, start=1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                try:
                    values.append(float(text))
                except ValueError:
                    raise ValueError(f"{path}, line {line_num}: {text!r} is not a number (the "
                                     "target file holds one number per line)") from None
        y = np.array(values, dtype=np.float64)
    if y.size == 0:
        raise ValueError(f"target file {path} is empty")
    if y.size != n_samples:
        raise ValueError(f"target file {path} has {y.size} values but the data has "
                         f"{n_samples} rows")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"target file {path} contains NaN or infinite values")
    return y
