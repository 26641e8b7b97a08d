/*
 * Non-negative least squares on the normal equations: minimise
 * |A x - b|^2 subject to x >= 0, given only G = A'A and h = A'b. The
 * active-set method of Lawson and Hanson (Solving Least Squares Problems,
 * 1974, ch. 23): start with every variable held at zero; repeatedly free
 * the variable whose gradient w = h - G x most wants to grow, solve the
 * unconstrained problem on the free set (Cholesky, GSL), and when that
 * solution leaves the feasible region step back to its boundary and hold
 * the variables that reached zero. It terminates in finitely many steps
 * (each free set is visited at most once); the iteration cap only guards
 * against rounding cycles.
 *
 * Working from G and h makes the cost per right-hand side independent of
 * the length of the data: deconvolution fits hundreds of ion chromatograms
 * to the same few model peaks, so G is formed once per cluster and each ion
 * costs one A'b and a solve of the size of the cluster. A relative ridge of
 * 1e-12 of the mean diagonal keeps the free-set matrices positive definite
 * when two columns are nearly alike (GSL's Cholesky would otherwise call
 * the GSL error handler).
 */
#include "stats.h"

#include <gsl/gsl_linalg.h>
#include <math.h>
#include <string.h>

size_t nps_nnls_work_size(size_t n)
{
    return n * n + 4 * n;
}

int nps_nnls_gram(double *x, const double *G, const double *h, size_t n, double *work,
                  unsigned char *free_set)
{
    double *S = work, *z = S + n * n, *w = z + n, *rhs = w + n, *sol = rhs + n;
    double trace = 0;
    for (size_t i = 0; i < n; i++) trace += G[i * n + i];
    double ridge = 1e-12 * (trace > 0 ? trace / (double)n : 1.0);
    double tol = 1e-12 * (trace > 0 ? trace : 1.0);
    for (size_t i = 0; i < n; i++) {
        x[i] = 0;
        free_set[i] = 0;
    }
    for (size_t iter = 0; iter < 3 * n + 10; iter++) {
        /* gradient of the objective's negative half: h - G x */
        size_t best = n;
        double bw = tol;
        for (size_t i = 0; i < n; i++) {
            double g = h[i];
            for (size_t j = 0; j < n; j++) g -= G[i * n + j] * x[j];
            w[i] = g;
            if (!free_set[i] && g > bw) {
                bw = g;
                best = i;
            }
        }
        if (best == n) return 0;
        free_set[best] = 1;
        for (size_t inner = 0; inner <= n; inner++) {
            size_t idx[64], m = 0;
            for (size_t i = 0; i < n && m < 64; i++)
                if (free_set[i]) idx[m++] = i;
            for (size_t a = 0; a < m; a++) {
                rhs[a] = h[idx[a]];
                for (size_t b = 0; b < m; b++) S[a * m + b] = G[idx[a] * n + idx[b]];
                S[a * m + a] += ridge;
            }
            gsl_matrix_view Sv = gsl_matrix_view_array(S, m, m);
            gsl_vector_view Rv = gsl_vector_view_array(rhs, m);
            gsl_vector_view Xv = gsl_vector_view_array(sol, m);
            if (gsl_linalg_cholesky_decomp1(&Sv.matrix) ||
                gsl_linalg_cholesky_solve(&Sv.matrix, &Rv.vector, &Xv.vector))
                return NPS_EINVAL;
            for (size_t i = 0; i < n; i++) z[i] = 0;
            int feasible = 1;
            for (size_t a = 0; a < m; a++) {
                z[idx[a]] = sol[a];
                if (!(sol[a] > 0)) feasible = 0;
            }
            if (feasible) {
                memcpy(x, z, n * sizeof *x);
                break;
            }
            /* step from x towards z as far as feasibility allows */
            double alpha = 1.0;
            for (size_t i = 0; i < n; i++)
                if (free_set[i] && z[i] <= 0) {
                    double d = x[i] - z[i];
                    double a = d > 0 ? x[i] / d : 0;
                    if (a < alpha) alpha = a;
                }
            for (size_t i = 0; i < n; i++) {
                x[i] += alpha * (z[i] - x[i]);
                if (free_set[i] && x[i] <= 1e-15 * (fabs(z[i]) + 1)) {
                    x[i] = 0;
                    free_set[i] = 0;
                }
            }
        }
    }
    return 0;
}
