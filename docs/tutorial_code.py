"""The experiments of the tutorial (docs/tutorial.md), one function per claim.

The tutorial page shows these functions (between the ``--8<--`` markers),
``docs/make_figures.py`` runs them to draw the figures and to write the
numbers the page quotes (``docs/generated/tutorial_numbers.md``), and
``tests/test_docs.py`` runs them to check the claims. No matplotlib here.
Lines stay within 80 characters: the page shows them without wrapping.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, stats

import fastreg

SEED = 0


# --8<-- [start:data]
def load_diabetes():
    """The bundled diabetes data, each feature standardized to mean 0 and
    variance 1. The penalty treats every coefficient alike, so the features
    must share a scale: otherwise a column's units would decide how much it
    is shrunk."""
    X, y, names = fastreg.load_diabetes()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.asfortranarray(X), y, list(names)


def wide_design(X, names, n_noise=100, seed=SEED):
    """The 10 features, their squares and pairwise products (54 columns:
    sex^2 is sex again), and n_noise columns of pure noise, standardized."""
    columns, labels = [X], list(names)
    for i in range(X.shape[1]):
        for j in range(i, X.shape[1]):
            product = X[:, i] * X[:, j]
            if i == j and np.unique(product).size <= 2:  # binary, squared
                continue
            columns.append(product[:, None])
            labels.append(f"{names[i]}^2" if i == j
                          else f"{names[i]}*{names[j]}")
    rng = np.random.default_rng(seed)
    columns.append(rng.standard_normal((X.shape[0], n_noise)))
    labels += [f"noise{k}" for k in range(n_noise)]
    Z = np.hstack(columns)
    Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    return np.asfortranarray(Z), labels
# --8<-- [end:data]


def train_validation_split(n_samples, seed=SEED):
    """Half of the rows to fit, half to validate."""
    order = np.random.default_rng(seed).permutation(n_samples)
    return order[: n_samples // 2], order[n_samples // 2:]


# --8<-- [start:overfitting]
def least_squares_errors(X, y, train, valid):
    """Mean squared error of least squares (with an intercept) on the
    training rows and on the validation rows (minimum-norm if p >= n)."""
    A = np.column_stack([np.ones(len(y)), X])
    coef = np.linalg.lstsq(A[train], y[train], rcond=None)[0]
    resid = y - A @ coef
    return float(np.mean(resid[train] ** 2)), float(np.mean(resid[valid] ** 2))


def overfitting_with_noise(X, y, n_noise=range(0, 201, 10), seed=SEED):
    """Least squares on the features plus k columns of pure noise."""
    train, valid = train_validation_split(len(y), seed)
    rng = np.random.default_rng(seed + 1)
    noise = rng.standard_normal((len(y), max(n_noise)))
    errors = [least_squares_errors(np.hstack([X, noise[:, :k]]), y,
                                   train, valid)
              for k in n_noise]
    train_mse, valid_mse = np.array(errors).T
    return {"n_noise": np.array(n_noise), "n_train": len(train),
            "train_mse": train_mse, "valid_mse": valid_mse}
# --8<-- [end:overfitting]


def noise_sd(X, y):
    """sigma, estimated from the least-squares residuals (n - p - 1 dof)."""
    A = np.column_stack([np.ones(len(y)), X])
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    return float(np.sqrt(resid @ resid / (len(y) - A.shape[1])))


# --8<-- [start:ridge_map]
def ridge_as_map(X, y, lam=1.0):
    """Ridge at lam is the posterior mode for y ~ N(b + X beta, sigma^2)
    and the prior beta_j ~ N(0, tau^2), tau^2 = sigma^2 / (n lam)."""
    n, p = X.shape
    sigma = noise_sd(X, y)
    tau = sigma / np.sqrt(n * lam)

    def neg_log_posterior(theta):  # theta = (b, beta); b has a flat prior
        b, beta = theta[0], theta[1:]
        log_lik = stats.norm.logpdf(y, loc=b + X @ beta, scale=sigma).sum()
        log_prior = stats.norm.logpdf(beta, scale=tau).sum()
        return -(log_lik + log_prior)

    def gradient(theta):
        b, beta = theta[0], theta[1:]
        r = y - b - X @ beta
        g = np.concatenate([[r.sum()], X.T @ r - beta * (sigma / tau) ** 2])
        return -g / sigma**2

    mode = optimize.minimize(neg_log_posterior, np.zeros(p + 1),
                             jac=gradient, method="L-BFGS-B",
                             options={"ftol": 1e-15, "gtol": 1e-9})
    # the Gaussian posterior is known in closed form: its mode is its mean
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    post_mean = np.linalg.solve(Xc.T @ Xc + (sigma / tau) ** 2 * np.eye(p),
                                Xc.T @ yc)

    path = fastreg.enet_path(X, y, l1_ratio=0.0, lambdas=[lam], tol=1e-12)
    ridge = path.coef[:, 0]
    return {"lam": lam, "sigma": sigma, "tau": tau, "ridge": ridge,
            "map": mode.x[1:], "posterior_mean": post_mean,
            "intercept": path.intercept[0], "map_intercept": mode.x[0],
            "optimizer_success": bool(mode.success),
            "dual_gap": path.dual_gap[0],
            "max_diff_map": np.abs(ridge - mode.x[1:]).max(),
            "max_diff_closed_form": np.abs(ridge - post_mean).max()}
# --8<-- [end:ridge_map]


# --8<-- [start:lasso_map]
def lasso_as_map(X, y, lam=2.0, n_perturbations=2000, seed=SEED):
    """The lasso at lam is the posterior mode for the same likelihood and
    the prior beta_j ~ Laplace(0, s), s = sigma^2 / (n lam)."""
    n, p = X.shape
    sigma = noise_sd(X, y)
    s = sigma**2 / (n * lam)

    def log_posterior(theta):  # theta = (b, beta)
        b, beta = theta[0], theta[1:]
        log_lik = stats.norm.logpdf(y, loc=b + X @ beta, scale=sigma).sum()
        log_prior = stats.laplace.logpdf(beta, scale=s).sum()
        return log_lik + log_prior

    # a kink wherever a beta_j is 0: maximize with Powell's derivative-free
    # method, which needs no gradient
    mode = optimize.minimize(
        lambda theta: -log_posterior(theta), np.zeros(p + 1),
        method="Powell", options={"xtol": 1e-10, "ftol": 1e-15,
                                  "maxiter": 100_000, "maxfev": 100_000})

    path = fastreg.lasso_path(X, y, lambdas=[lam], tol=1e-12)
    theta_hat = np.concatenate([path.intercept, path.coef[:, 0]])
    # no random move away from fastreg's solution raises the log posterior
    rng = np.random.default_rng(seed)
    steps = 1e-3 * rng.standard_normal((n_perturbations, p + 1))
    gains = [log_posterior(theta_hat + step) - log_posterior(theta_hat)
             for step in steps]
    return {"lam": lam, "sigma": sigma, "s": s, "lasso": path.coef[:, 0],
            "map": mode.x[1:], "optimizer_success": bool(mode.success),
            "dual_gap": path.dual_gap[0],
            "log_posterior_lasso": log_posterior(theta_hat),
            "log_posterior_map": log_posterior(mode.x),
            "max_diff_map": np.abs(path.coef[:, 0] - mode.x[1:]).max(),
            "n_perturbations": n_perturbations, "max_gain": max(gains)}
# --8<-- [end:lasso_map]


# --8<-- [start:kink]
def pull_at_zero(X, y, lam=2.0):
    """Both sides of the lasso's optimality conditions, in posterior units:
    the data's pull d log-likelihood / d beta_j = x_j . r / sigma^2 at the
    lasso solution, and the slope 1/s with which the Laplace prior pulls
    back. beta_j stays at 0 when |pull_j| < 1/s; elsewhere |pull_j| = 1/s."""
    n = len(y)
    sigma = noise_sd(X, y)
    s = sigma**2 / (n * lam)
    path = fastreg.lasso_path(X, y, lambdas=[lam], tol=1e-12)
    r = y - path.intercept[0] - X @ path.coef[:, 0]
    return {"coef": path.coef[:, 0], "pull": X.T @ r / sigma**2,
            "slope": 1 / s}
# --8<-- [end:kink]


# --8<-- [start:thresholds]
def one_feature_fits(z, lam=1.0):
    """Fit y = z x (no noise) on one standardized feature x, for each z,
    with the lasso, the elastic net (l1_ratio=0.5) and ridge at lam."""
    x = np.asfortranarray(np.tile([1.0, -1.0], 50)[:, None])  # var 1
    fits = {}
    for name, a in (("lasso", 1.0), ("elastic net (0.5)", 0.5),
                    ("ridge", 0.0)):
        fits[name] = np.array([
            fastreg.enet_path(x, zi * x[:, 0], l1_ratio=a, lambdas=[lam],
                              tol=1e-10).coef[0, 0]
            for zi in z])
    return fits
# --8<-- [end:thresholds]


# --8<-- [start:paths]
def lasso_and_ridge_paths(X, y, tol=1e-10):
    """The lasso and ridge paths, both down to (almost) least squares.

    Ridge's grid starts at glmnet's lambda_max (that of l1_ratio=1e-3), a
    thousand times the lasso's, so it must run further down. The tight tol
    makes the coefficients accurate near least squares, where the
    correlated s1..s4 leave the objective flat in some directions."""
    return {"lasso": fastreg.lasso_path(X, y, tol=tol),
            "ridge": fastreg.enet_path(X, y, l1_ratio=0.0,
                                       lambda_min_ratio=1e-8, tol=tol)}
# --8<-- [end:paths]


# --8<-- [start:cv]
def folds_for(n_samples):
    """One 10-fold split for every fit, so that they differ by the penalty
    only."""
    fold_ids = fastreg.make_folds(n_samples, 10, random_state=SEED)
    return fold_ids


def cross_validate(X, y, l1_ratio, lambda_min_ratio=1e-2):
    """cv_path on a grid that reaches far enough: while lambda_min is among
    the grid's 10 smallest lambdas, extend the grid tenfold and redo."""
    while True:
        cv = fastreg.cv_path(X, y, l1_ratio=l1_ratio,
                             folds=folds_for(len(y)),
                             lambda_min_ratio=lambda_min_ratio)
        if cv.index_min < cv.lambdas.size - 10 or lambda_min_ratio < 1e-7:
            return cv
        lambda_min_ratio /= 10
# --8<-- [end:cv]


def cv_summary(cv, labels=None):
    """At lambda_min and lambda_1se: the CV error, its SE, the non-zeros
    (and, given the labels, how many of them are noise columns)."""
    rows = {}
    for which, k in (("lambda_min", cv.index_min),
                     ("lambda_1se", cv.index_1se)):
        coef = cv.path.coef[:, k]
        row = {"lambda": float(cv.lambdas[k]),
               "cv_mse": float(cv.cv_mean[k]), "cv_se": float(cv.cv_se[k]),
               "n_nonzero": int(np.count_nonzero(coef))}
        if labels is not None:
            noise = np.array([name.startswith("noise") for name in labels])
            row["n_noise"] = int(np.count_nonzero(coef[noise]))
            row["n_real"] = int(np.count_nonzero(coef[~noise]))
        rows[which] = row
    return rows


# --8<-- [start:group]
def correlated_design(X, names, n_copies=4, noise=0.5, seed=SEED):
    """bmi replaced by n_copies noisy measurements of it, bmi + noise *
    N(0, 1), standardized: a group of correlated features, one signal."""
    j = names.index("bmi")
    rng = np.random.default_rng(seed)
    copies = X[:, [j]] + noise * rng.standard_normal((len(X), n_copies))
    Z = np.hstack([np.delete(X, j, axis=1), copies])
    Z = (Z - Z.mean(axis=0)) / Z.std(axis=0)
    labels = [name for name in names if name != "bmi"]
    labels += [f"bmi{k + 1}" for k in range(n_copies)]
    return np.asfortranarray(Z), labels


def group_selection_by_fold(X, y, cv, group):
    """Refit on each fold's training rows at the full data's lambda_1se;
    which features of group (column indices) are non-zero, per fold."""
    fold_ids = folds_for(len(y))
    selected = []
    for f in range(fold_ids.max() + 1):
        train = fold_ids != f
        path = fastreg.enet_path(X[train], y[train], l1_ratio=cv.l1_ratio,
                                 lambdas=[cv.lambda_1se])
        selected.append(path.coef[group, 0] != 0)
    return np.array(selected)  # (n_folds, len(group))
# --8<-- [end:group]


def penalty_comparison(designs, l1_ratios=(1.0, 0.5, 0.0)):
    """{design: {l1_ratio: CVResult}} on the same folds."""
    return {name: {a: cross_validate(X, y, a) for a in l1_ratios}
            for name, (X, y) in designs.items()}
