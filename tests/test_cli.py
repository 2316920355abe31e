"""The data loaders (fastreg._datasets) and the `fastreg` command line (fastreg._cli)."""
import io
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import fastreg
from fastreg import _cli as cli
from fastreg._cli import _model_text, _show_progress, _standardize, main
from fastreg._datasets import load_data, load_default

# a table row: index, lambda, non-zeros, deviance explained in %, gap, epochs
TABLE_ROW = re.compile(r"^\s*\d+\s+\S+\s+\d+\s+-?\d+\.\d+ %\s+\S+\s+\d+", re.MULTILINE)


def write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def small():
    """X (6 x 3, about 40% zeros) and y, an exact linear function of X."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    X[rng.random(X.shape) < 0.4] = 0.0
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    return X, y


# ---------------------------------------------------------------- loaders


def test_default_dataset():
    X, y, names = load_default()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert X.dtype == np.float64 and np.all(np.isfinite(X))
    assert (X[0, 0], y[0]) == (59.0, 151.0)


def test_csv_named_target(tmp_path):
    f = write(tmp_path / "d.csv", "a, y ,b\n1,10,2\n3,30,4\n\n5,50,6\n")
    X, y, names = load_data(f, target="y")
    assert names == ["a", "b"]
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(y, [10, 30, 50])


def test_csv_default_target_is_last_column(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n4,5,6\n")
    X, y, names = load_data(f)
    assert names == ["a", "b"]
    np.testing.assert_array_equal(y, [3, 6])


def test_tsv_and_sniffed_txt(tmp_path):
    X1, y1, _ = load_data(write(tmp_path / "d.tsv", "a\tb\ty\n1\t2\t3\n4\t5\t6\n"))
    X2, y2, _ = load_data(write(tmp_path / "d.txt", "a;b;y\n1;2;3\n4;5;6\n"))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


def test_csv_target_file(tmp_path):
    f = write(tmp_path / "d.csv", "a,b\n1,2\n3,4\n")
    X, y, names = load_data(f, target_file=write(tmp_path / "y.txt", "7\n8\n"))
    assert names == ["a", "b"] and X.shape == (2, 2)
    np.testing.assert_array_equal(y, [7, 8])


@pytest.mark.parametrize("base", [1, 0])
def test_svmlight(tmp_path, base):
    text = (f"# comment line\n"
            f"1.5 qid:3 {base}:2.0 {base + 2}:-1  # trailing comment\n"
            f"-2 {base + 1}:4\n"
            f"0\n")
    X, y, names = load_data(write(tmp_path / "d.svm", text))
    assert sp.issparse(X) and X.format == "csc"
    np.testing.assert_array_equal(X.toarray(), [[2, 0, -1], [0, 4, 0], [0, 0, 0]])
    np.testing.assert_array_equal(y, [1.5, -2, 0])
    assert names == [f"x{j + base}" for j in range(3)]


def test_mtx_target_column(tmp_path, small):
    X0, y0 = small
    M = sp.csc_matrix(np.column_stack([X0[:, :1], y0, X0[:, 1:]]))
    scipy.io.mmwrite(tmp_path / "d.mtx", M)
    X, y, names = load_data(tmp_path / "d.mtx", target="1")
    assert sp.issparse(X) and X.format == "csc"
    np.testing.assert_allclose(X.toarray(), X0)
    np.testing.assert_allclose(y, y0)
    assert names == ["x0", "x2", "x3"]
    # default: the last column
    X, y, names = load_data(tmp_path / "d.mtx")
    np.testing.assert_allclose(y, X0[:, 2])
    assert X.shape == (6, 3) and names == ["x0", "x1", "x2"]


def test_mtx_target_file(tmp_path, small):
    X0, y0 = small
    scipy.io.mmwrite(tmp_path / "d.mtx", sp.coo_matrix(X0))
    np.save(tmp_path / "y.npy", y0)
    write(tmp_path / "y.txt", "\n".join(repr(float(v)) for v in y0) + "\n")
    for target_file in ("y.npy", "y.txt"):
        X, y, names = load_data(tmp_path / "d.mtx", target_file=tmp_path / target_file)
        assert sp.issparse(X) and X.format == "csc" and X.shape == (6, 3)
        np.testing.assert_allclose(X.toarray(), X0)
        np.testing.assert_allclose(y, y0)


def test_npz_dense(tmp_path, small):
    X0, y0 = small
    np.savez(tmp_path / "d.npz", X=X0, y=y0)
    X, y, names = load_data(tmp_path / "d.npz")
    assert isinstance(X, np.ndarray)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert names == ["x0", "x1", "x2"]


def test_npz_sparse(tmp_path, small):
    X0, y0 = small
    sp.save_npz(tmp_path / "d.npz", sp.csr_matrix(np.column_stack([X0, y0])))
    X, y, names = load_data(tmp_path / "d.npz")
    assert sp.issparse(X) and X.format == "csc"
    np.testing.assert_allclose(X.toarray(), X0)
    np.testing.assert_allclose(y, y0)
    X, y, _ = load_data(tmp_path / "d.npz", target=0)
    np.testing.assert_allclose(y, X0[:, 0])


# ---------------------------------------------------------------- loader errors


@pytest.mark.parametrize("name, text, match", [
    ("empty.csv", "", "is empty"),
    ("blank.csv", "\n\n", "is empty"),
    ("header.csv", "a,b,y\n", "no data rows"),
    ("ragged.csv", "a,b,y\n1,2,3\n4,5\n", r"line 3: 2 fields but the header has 3"),
    ("text.csv", "a,b,y\n1,2,3\n4,oops,6\n", r"non-numeric value 'oops' in column 'b', row 2"),
    ("missing.csv", "a,b,y\n1,,3\n", r"empty \(missing\) value in column 'b', row 1"),
    ("nan.csv", "a,b,y\n1,2,3\n4,5,nan\n", r"non-finite value 'nan' in column 'y', row 2"),
    ("only.csv", "y\n1\n2\n", "no feature columns"),
    ("empty.svm", "# nothing\n\n", "is empty"),
    ("bad.svm", "1 1:2\n2 3-4\n", r"line 2: expected index:value, got '3-4'"),
    ("label.svm", "a 1:2\n", r"line 1: the label 'a' is not a number"),
    ("garbage.npz", "not a zip", "is not an .npz file"),
    ("garbage.mtx", "1 2 3\n", "not a valid MatrixMarket file"),
    ("data.parquet", "x", r"unknown file extension '.parquet'.*supported: .csv, .tsv"),
])
def test_loader_errors(tmp_path, name, text, match):
    with pytest.raises(ValueError, match=match):
        load_data(write(tmp_path / name, text))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="data file not found"):
        load_data(tmp_path / "nope.csv")
    f = write(tmp_path / "d.csv", "a,y\n1,2\n")
    with pytest.raises(FileNotFoundError, match="target file not found"):
        load_data(f, target_file=tmp_path / "nope.txt")


def test_missing_target_column_lists_columns(tmp_path):
    f = write(tmp_path / "d.csv", "age,bmi,y\n1,2,3\n")
    with pytest.raises(ValueError, match=r"'progression' not found.*columns: age, bmi, y"):
        load_data(f, target="progression")


def test_bad_matrix_targets(tmp_path, small):
    X0, y0 = small
    scipy.io.mmwrite(tmp_path / "d.mtx", sp.coo_matrix(X0))
    with pytest.raises(ValueError, match=r"out of range.*3 columns \(0..2\)"):
        load_data(tmp_path / "d.mtx", target="3")
    with pytest.raises(ValueError, match="0-based column index; got 'bmi'"):
        load_data(tmp_path / "d.mtx", target="bmi")
    write(tmp_path / "short.txt", "1\n2\n")
    with pytest.raises(ValueError, match="has 2 values but the data has 6 rows"):
        load_data(tmp_path / "d.mtx", target_file=tmp_path / "short.txt")
    write(tmp_path / "word.txt", "1\nabc\n")
    with pytest.raises(ValueError, match=r"line 2: 'abc' is not a number"):
        load_data(tmp_path / "d.mtx", target_file=tmp_path / "word.txt")
    np.savez(tmp_path / "other.npz", A=X0)
    with pytest.raises(ValueError, match="expected arrays 'X' and 'y'.*found arrays: A"):
        load_data(tmp_path / "other.npz")


# ---------------------------------------------------------------- standardize


def test_standardize_dense_and_sparse_agree(small):
    X0, _ = small
    X0 = np.column_stack([X0, np.full(6, 2.5)])  # a constant column is left alone
    Xd, scale_d = _standardize(X0)
    Xs, scale_s = _standardize(sp.csc_matrix(X0))
    assert sp.issparse(Xs) and Xs.format == "csc"
    np.testing.assert_allclose(scale_d, X0.std(axis=0)[:3].tolist() + [1.0])
    np.testing.assert_allclose(scale_s, scale_d)
    np.testing.assert_allclose(Xs.toarray(), Xd)
    np.testing.assert_allclose(Xd[:, :3].std(axis=0), 1.0)


# ---------------------------------------------------------------- command line


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_default_dataset(capsys):
    code, out, err = run(capsys, "path", "--n-lambdas", "7")
    assert code == 0 and err == ""
    assert len(TABLE_ROW.findall(out)) == 7
    assert "442 samples x 10 features" in out
    assert "dense float64" in out and "7 of 7 lambdas" in out
    # the full model at the smallest lambda: s5 has the largest coefficient
    coef_lines = out.split("Coefficients at the smallest lambda")[1].splitlines()[1:]
    assert coef_lines[0].split()[0] == "s5"


def test_cli_csv_target_and_options(tmp_path, capsys, small):
    X0, y0 = small
    table = np.column_stack([X0[:, 0], y0, X0[:, 1:]])
    rows = "\n".join(",".join(repr(float(v)) for v in row) for row in table)
    f = write(tmp_path / "d.csv", "u,resp,v,w\n" + rows + "\n")
    code, out, err = run(capsys, "path", str(f), "--target", "resp", "--n-lambdas", "5",
                         "--l1-ratio", "0.5", "--lambda-min-ratio", "1e-6", "--no-intercept")
    assert code == 0, err
    assert len(TABLE_ROW.findall(out)) == 5
    assert "0.5 (elastic net)" in out and "intercept    none" in out


def test_cli_standardize_reports_original_scale(capsys):
    code, out, err = run(capsys, "path", "--standardize", "--n-lambdas", "5",
                         "--lambda-min-ratio", "1e-6", "--tol", "1e-10")
    assert code == 0, err
    assert "standardize  yes" in out
    # at lambda -> 0 both scalings approach least squares: s5 ~ 68.5 on the original scale
    s5 = [line for line in out.splitlines() if line.split()[:1] == ["s5"]]
    assert float(s5[0].split()[1]) == pytest.approx(68.48, abs=0.5)


def test_cli_sparse_standardize(tmp_path, capsys, small):
    X0, y0 = small
    sp.save_npz(tmp_path / "d.npz", sp.csc_matrix(np.column_stack([X0, y0])))
    code, out, err = run(capsys, "path", str(tmp_path / "d.npz"), "--standardize",
                         "--n-lambdas", "4")
    assert code == 0, err
    assert "sparse CSC float64" in out and len(TABLE_ROW.findall(out)) == 4


@pytest.mark.parametrize("argv, message", [
    (["path", "nope.csv"], "data file not found: nope.csv"),
    (["path", "--l1-ratio", "2"], r"argument --l1-ratio: must be <= 1.0; got 2.0"),
    (["path", "--n-lambdas", "0"], r"argument --n-lambdas: must be >= 1"),
    (["path", "--tol", "-1"], r"argument --tol: must be > 0"),
    (["path", "--target", "x"], "need a DATA file"),
])
def test_cli_errors(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("fastreg: error: ") and len(err.splitlines()) == 1
    assert re.search(message, err)


def test_cli_bad_target(tmp_path, capsys):
    f = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n4,5,7\n")
    code, _, err = run(capsys, "path", str(f), "--target", "z")
    assert code == 2 and "target column 'z' not found" in err and "Traceback" not in err


def test_cli_usage_error_returns_2(capsys):
    code, _, err = run(capsys, "path", "--n-lambdas", "abc")
    assert code == 2 and "invalid int value: 'abc'" in err


def test_cli_convergence_note(capsys):
    code, out, err = run(capsys, "path", "--n-lambdas", "5", "--max-epochs", "1",
                         "--tol", "1e-12")
    assert code == 0 and len(TABLE_ROW.findall(out)) == 5
    assert err.startswith("fastreg: note: ") and len(err.splitlines()) == 1
    assert "did not converge" in err and "* not converged" in out


def test_cli_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"fastreg {fastreg.__version__}"


def test_python_m_fastreg(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fastreg", "path", "--n-lambdas", "5"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(TABLE_ROW.findall(proc.stdout)) == 5
    assert "diabetes" in proc.stdout


# ---------------------------------------------------------------- fastreg cv


def cv_rows(out):
    """{'lambda_min': (lambda, cv error, se, non-zeros), 'lambda_1se': ...} from the output."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] in (["lambda_min"], ["lambda_1se"]) and "±" in parts:
            rows[parts[0]] = (float(parts[1]), float(parts[2]), float(parts[4]), int(parts[5]))
    return rows


def coefficient_table(out):
    """{feature: (coef at lambda_1se, coef at lambda_min)} from the output."""
    lines = out.split("Selected features")[1].splitlines()[2:]
    table = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            break
        table[parts[0]] = (float(parts[1]), float(parts[2]))
    return table


def test_cli_cv_default_dataset(capsys):
    code, out, err = run(capsys, "cv", "--folds", "5", "--n-lambdas", "30")
    assert code == 0 and err == ""
    X, y, names = load_default()
    cv = fastreg.cv_path(X, y, folds=5, n_lambdas=30, random_state=0)
    rows = cv_rows(out)
    for name, k in (("lambda_min", cv.index_min), ("lambda_1se", cv.index_1se)):
        lam, mean, se, nnz = rows[name]
        assert lam == pytest.approx(cv.lambdas[k], rel=1e-3)
        assert mean == pytest.approx(cv.cv_mean[k], rel=1e-4)
        assert se == pytest.approx(cv.cv_se[k], rel=1e-2)
        assert nnz == cv.path.n_nonzero[k]
    assert "442 samples x 10 features" in out and "5 (random, seed 0)" in out
    assert "1 (lasso)" in out and "run time" in out and "l1_ratio  lambda_min" not in out
    table = coefficient_table(out)
    selected = {names[j] for j in np.flatnonzero((cv.selected_coef("1se") != 0) | (cv.selected_coef("min") != 0))}
    assert set(table) == selected | {"(intercept)"}
    for j, name in enumerate(names):
        if name in table:
            np.testing.assert_allclose(table[name], [cv.selected_coef("1se")[j], cv.selected_coef("min")[j]],
                                       rtol=1e-3, atol=1e-3)


def test_cli_cv_several_l1_ratios_standardized(capsys):
    code, out, err = run(capsys, "cv", "--folds", "4", "--n-lambdas", "25", "--seed", "3",
                         "--l1-ratio", "0.5", "1", "--standardize", "--n-jobs", "2")
    assert code == 0, err
    X, y, names = load_default()
    scale = X.std(axis=0)
    cv = fastreg.cv_path(X / scale, y, l1_ratio=[0.5, 1], folds=4, n_lambdas=25,
                         random_state=3)
    chosen = f"{cv.l1_ratio:g}"
    assert f"l1_ratio     {_model_text(cv.l1_ratio)}, the best of 0.5, 1" in out
    marked = [line for line in out.splitlines() if line.startswith("* ")]
    assert marked[0].split()[1] == chosen
    assert "standardize  yes" in out
    # the coefficients are reported on the original scale
    table = coefficient_table(out)
    original = cv.selected_coef("min") / scale
    for j, name in enumerate(names):
        if name in table:
            assert table[name][1] == pytest.approx(original[j], rel=1e-3, abs=1e-3)


def test_cli_cv_plot_writes_a_png(tmp_path, capsys):
    import matplotlib.image
    target = tmp_path / "cv.png"
    code, out, err = run(capsys, "cv", "--folds", "3", "--n-lambdas", "20",
                         "--plot", str(target))
    assert code == 0, err
    assert f"wrote {target}" in out
    image = matplotlib.image.imread(target)
    assert image.ndim == 3 and image.shape[1] > 2 * image.shape[0]  # three panels in a row
    assert image[..., :3].std() > 0.05                                # not a blank canvas


def test_cli_cv_progress(capsys, monkeypatch):
    code, _, err = run(capsys, "cv", "--folds", "3", "--n-lambdas", "10", "--progress")
    assert code == 0 and "cv folds" in err
    code, _, err = run(capsys, "cv", "--folds", "3", "--n-lambdas", "10", "--no-progress")
    assert code == 0 and err == ""


def test_cli_cv_progress_by_default_on_long_runs(monkeypatch):
    class Terminal:
        def isatty(self):
            return True
    small, large = np.zeros((50, 4)), sp.random(10, 10, density=1.0, format="csc")
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _show_progress(None, 30, small)        # many fold fits
    assert not _show_progress(None, 10, small)    # a short run
    assert not _show_progress(False, 30, small)   # --no-progress wins
    assert _show_progress(True, 2, large)         # --progress wins
    monkeypatch.setattr(cli, "_PROGRESS_SIZE", 100)
    assert _show_progress(None, 2, large)         # a large X (its non-zeros)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not _show_progress(None, 30, small)    # no bar in a log file or a pipe


@pytest.mark.parametrize("argv, message", [
    (["cv", "nope.csv"], "data file not found: nope.csv"),
    (["cv", "--folds", "1"], r"argument --folds: must be between 2 and n_samples \(442\)"),
    (["cv", "--l1-ratio", "0.5", "2"], r"argument --l1-ratio: must be <= 1.0; got 2.0"),
    (["cv", "--n-jobs", "0"], r"argument --n-jobs: must be a positive integer"),
    (["cv", "--seed", "-1"], r"argument --seed: must be >= 0"),
    (["cv", "--plot", "figure.txt"], r"argument --plot: cannot write 'figure.txt'.*\.png"),
    (["cv", "--plot", "no/such/dir/cv.png"], r"argument --plot: directory 'no/such/dir'"),
    (["cv", "--target-file", "y.txt"], "need a DATA file"),
])
def test_cli_cv_errors(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("fastreg: error: ") and len(err.splitlines()) == 1
    assert re.search(message, err)


def test_cli_cv_usage_error(capsys):
    code, _, err = run(capsys, "cv", "--folds", "many")
    assert code == 2 and "invalid int value: 'many'" in err


def test_cli_cv_plot_without_matplotlib(tmp_path):
    code = ("import sys\n"
            "sys.modules['matplotlib'] = None\n"
            "from fastreg._cli import main\n"
            "raise SystemExit(main(['cv', '--plot', 'cv.png']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("fastreg: error: argument --plot needs matplotlib")
    assert "pip install matplotlib" in proc.stderr and not (tmp_path / "cv.png").exists()
