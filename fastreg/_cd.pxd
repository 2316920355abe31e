# Public Cython declarations of fastreg's path solver, for libraries that embed it.
#
#   from fastreg._design cimport DenseDesign, CSCDesign32, CSCDesign64
#   from fastreg._cd cimport Penalty, SolverOptions, PathReport, enet_path
#
# Fill a CSC design with csc_design32 / csc_design64 (_design.pxd): its `unit` field (NULL,
# or per-column flags from fastreg._cd.unit_columns) must be set.
#
# `enet_path` runs without the GIL; see its docstring in _cd.pyx for the objective.
from cython cimport floating
from fastreg._design cimport Design


cdef enum Status:
    CONVERGED = 0        # duality gap <= tol * null objective
    MAX_EPOCHS = 1       # the epoch budget ran out first
    STALLED = 2          # no coordinate moves any more: tol is below the dtype's reach


cdef struct Penalty:
    # lam * sum_j factor_j * (l1_ratio |b_j| + (1 - l1_ratio) / 2 b_j^2),  lower_j <= b_j <= upper_j
    double l1_ratio
    const double* factor     # penalty factors v_j >= 0 (length n_features)
    const double* lower      # lower bounds, may be -inf
    const double* upper      # upper bounds, may be +inf


cdef struct SolverOptions:
    double tol               # stop when duality gap <= tol * null objective
    Py_ssize_t max_epochs    # sweeps over the working set allowed per lambda
    bint fit_intercept       # unpenalized intercept, by (implicit) centring
    bint plain_warm_start    # start each lambda at the last solution, not at the secant
                             # through the last two (the predictor, _predict.pxi)


cdef struct PathReport:
    # caller-owned arrays of length n_lambdas, filled by enet_path
    double* intercept
    double* dual_gap         # duality gap / null objective
    double* dev_ratio        # fraction of the (weighted) deviance explained
    Py_ssize_t* n_epochs     # sweeps over the working set
    Py_ssize_t* n_passes     # full passes over X (gradient of every feature)
    int* status              # a Status per lambda
    # scalars filled by enet_path
    double lambda_max        # smallest lambda with an all-zero (penalized) solution
    double null_objective    # objective of the intercept-only model
    # only when enet_path's `coefs` is NULL (and n_lambdas > 0): the solutions as sparse
    # columns instead.
    # coef_indptr is caller-owned (n_lambdas + 1); enet_path allocates coef_indices and
    # coef_values (floating) with malloc, the caller frees them (also after an error).
    # Column k holds entries coef_indptr[k] .. coef_indptr[k + 1] - 1, rows in any order.
    Py_ssize_t* coef_indptr
    Py_ssize_t* coef_indices
    void* coef_values


# coefs (n_features x n_lambdas, column-major) must come zero-filled: only the non-zeros
# of each solution are written. coefs NULL: the solutions go to report's coef_* arrays
# (no n_features x n_lambdas array: for large p it would outweigh a sparse X).
# Returns 0; -1 when memory ran out; -2 when a column of X is too large for float64
# arithmetic (the sum of its squares overflows: values above ~1e154).
cdef int enet_path(const Design* X, const floating* y, const floating* w,
                   const Penalty* pen, const SolverOptions* opts,
                   double* lambdas, Py_ssize_t n_lambdas, bint lambdas_relative,
                   const floating* beta_init, floating* coefs,
                   PathReport* report) noexcept nogil
