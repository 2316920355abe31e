"""The quickstart (docs/quickstart.md) as a script: docs/make_figures.py runs
it section by section, in docs/figures, and puts each section's output under
it on the page."""
# --8<-- [start:fit]
import fastreg

X, y, names = fastreg.load_diabetes()              # 442 patients x 10 features
X = (X - X.mean(axis=0)) / X.std(axis=0)  # one scale for all features

path = fastreg.lasso_path(X, y)           # 100 lambdas, from lambda_max down
print(path)
print("non-zeros:", path.n_nonzero[[0, 10, 20, 40, 99]])
print("worst relative duality gap:", path.dual_gap.max())
# --8<-- [end:fit]

# --8<-- [start:cv]
cv = fastreg.cv_path(X, y, folds=10, random_state=0)
print(cv)
coef = cv.selected_coef("1se")                     # the full-data fit at lambda_1se
for name, value in zip(names, coef):
    if value != 0:
        print(f"{name:>4} {value:+8.2f}")
print("prediction for the first patient:", cv.predict(X[:1]))
# --8<-- [end:cv]

# --8<-- [start:plot]
from fastreg.plotting import plot_coef_path, plot_cv

ax = plot_coef_path(path, feature_names=names)
ax.figure.savefig("quickstart_path.png", dpi=130, bbox_inches="tight")
ax = plot_cv(cv)
ax.figure.savefig("quickstart_cv.png", dpi=130, bbox_inches="tight")
# --8<-- [end:plot]

# --8<-- [start:sklearn]
from fastreg.sklearn import ElasticNet, LassoCV

model = LassoCV(cv=10, refit_with="1se").fit(X, y)
print(f"alpha_min = {model.alpha_min_:.4g}, alpha_1se = {model.alpha_1se_:.4g}")
print("non-zero coefficients:", (model.coef_ != 0).sum())

enet = ElasticNet(alpha=0.5, l1_ratio=0.5).fit(X, y)
print("R^2 on the training data:", round(enet.score(X, y), 3))
# --8<-- [end:sklearn]
