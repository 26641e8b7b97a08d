/*
 * The fast log2 used by the open-search bounds: its error stays within the
 * documented bound for every float32 mantissa (at three exponents; the
 * exponent enters exactly), and on a sweep across exponents.
 */
#include "../src/search/fastlog.h"
#include "check.h"

int main(void)
{
    double worst = 0;
    const int exps[] = {0, -1, -23};
    for (int e = 0; e < 3; e++)
        for (uint32_t mant = 0; mant < (1u << 23); mant++) {
            uint32_t bits = ((uint32_t)(exps[e] + 127) << 23) | mant;
            float v;
            memcpy(&v, &bits, sizeof v);
            double l = log2((double)v);
            double err = fabs((double)nps_fast_log2f(v) - l) /
                         (NPS_FAST_LOG2_ABS_ERROR + NPS_FAST_LOG2_REL_ERROR * fabs(l));
            if (err > worst) worst = err;
        }
    for (double v = 1e-30; v < 1e6; v *= 1.0001) {
        double l = log2((double)(float)v);
        double err = fabs((double)nps_fast_log2f((float)v) - l) /
                     (NPS_FAST_LOG2_ABS_ERROR + NPS_FAST_LOG2_REL_ERROR * fabs(l));
        if (err > worst) worst = err;
    }
    printf("fast log2: worst error %.2f of the documented bound\n", worst);
    CHECK(worst <= 1.0);
    return check_done("test_fastlog");
}
