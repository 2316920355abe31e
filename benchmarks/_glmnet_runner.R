# glmnet on one benchmark problem at one thresh; called by peers.GlmnetSolver.
# Usage: Rscript _glmnet_runner.R DATA_DIR LAMBDAS_FILE ALPHA THRESH OUT_DIR REPEAT_BELOW
# Reads the raw little-endian binaries written by peers.write_data (exact doubles), times
# glmnet() alone with system.time, and writes the coefficients (p x K, column-major),
# the lambdas solved and "seconds n_lambdas npasses jerr" to OUT_DIR.
args <- commandArgs(trailingOnly = TRUE)
data_dir <- args[1]
lambdas_file <- args[2]
alpha <- as.numeric(args[3])
thresh <- as.numeric(args[4])
out_dir <- args[5]
repeat_below <- as.numeric(args[6])

suppressMessages(library(Matrix))
suppressMessages(library(glmnet))

meta <- scan(file.path(data_dir, "meta.txt"), quiet = TRUE)
n <- meta[1]; p <- meta[2]; is_sparse <- meta[3] == 1; nnz <- meta[4]
read_raw <- function(name, what, count, size) {
  con <- file(file.path(data_dir, name), "rb")
  on.exit(close(con))
  readBin(con, what = what, n = count, size = size, endian = "little")
}
if (is_sparse) {
  # X = A[:, j] for column j, CSC with 0-based row indices
  x <- sparseMatrix(i = read_raw("indices.bin", "integer", nnz, 4),
                    p = read_raw("indptr.bin", "integer", p + 1, 4),
                    x = read_raw("data.bin", "double", nnz, 8),
                    dims = c(n, p), index1 = FALSE)
} else {
  x <- matrix(read_raw("X.bin", "double", n * p, 8), nrow = n, ncol = p)
}
y <- read_raw("y.bin", "double", n, 8)
con <- file(lambdas_file, "rb")
lambda <- readBin(con, what = "double", n = 100000, size = 8, endian = "little")
close(con)

# Solve every lambda of the grid: no early stop of the path on deviance.
glmnet.control(fdev = 0, devmax = 1)
times <- c()
repeat {
  invisible(gc())
  elapsed <- system.time(
    fit <- glmnet(x, y, family = "gaussian", alpha = alpha, lambda = lambda,
                  standardize = FALSE, intercept = TRUE, thresh = thresh, maxit = 1e7)
  )[["elapsed"]]
  times <- c(times, elapsed)
  if (elapsed >= repeat_below || length(times) >= 3) break
}

beta <- as.matrix(fit$beta)
con <- file(file.path(out_dir, "coef.bin"), "wb")
writeBin(as.vector(beta), con, size = 8, endian = "little")
close(con)
con <- file(file.path(out_dir, "lambda.bin"), "wb")
writeBin(as.double(fit$lambda), con, size = 8, endian = "little")
close(con)
writeLines(paste(min(times), ncol(beta), fit$npasses, fit$jerr),
           file.path(out_dir, "result.txt"))
