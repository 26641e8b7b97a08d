/* Private: a fast, branch-free float32 log2 for the open-search bounds. */
#ifndef NPS_FASTLOG_H
#define NPS_FASTLOG_H

#include <stdint.h>
#include <string.h>

/* Error of nps_fast_log2f against log2, for normal v > 0: at most
 * NPS_FAST_LOG2_ABS_ERROR + NPS_FAST_LOG2_REL_ERROR |log2 v| (the polynomial, then
 * float32 rounding of the result), checked over every float32 mantissa by
 * tests/test_fastlog.c. In the bounds each term v log2 v is thus off by far less
 * than the search's pruning margin. */
#define NPS_FAST_LOG2_ABS_ERROR 1e-6
#define NPS_FAST_LOG2_REL_ERROR 1.2e-7

/*
 * log2 for the bounds, branch-free so that the contribution loop vectorises:
 * v = 2^e m with m in [sqrt(1/2), sqrt(2)), and log2 m = (2 / ln 2) atanh(t),
 * t = (m - 1) / (m + 1), |t| < 0.1716, summed to t^7: truncation error below
 * 5e-8, float32 rounding a few 1e-7. For normal v > 0 only. tests/test_fastlog.c
 * checks the error bound over every float32 mantissa.
 */
static inline float nps_fast_log2f(float v)
{
    uint32_t i;
    memcpy(&i, &v, sizeof i);
    /* subtracting the bits of sqrt(1/2) puts the mantissa in [sqrt(1/2), sqrt(2)) and
     * leaves the matching exponent in the high bits (the reduction of musl's logf) */
    uint32_t r = i - 0x3f3504f3u;
    int32_t e = (int32_t)r >> 23;
    uint32_t mi = (r & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &mi, sizeof m);
    float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    float p = t * (2.88539008f + t2 * (0.961796694f + t2 * (0.577078016f + t2 * 0.412198583f)));
    return (float)e + p;
}

#endif
