/*
 * The table of search modes, indexed by nps_search_mode and sized by
 * NPS_MODE_COUNT: a mode missing from it is a compile-time error
 * (designated initialisers leave no hole unnoticed: tests/test_tables.c
 * walks the table), and adding a mode is its own file plus one line here
 * (docs/architecture.md).
 */
#include "plan.h"

#include <string.h>

const nps_mode_ops *const nps_mode_table[NPS_MODE_COUNT] = {
    [NPS_MODE_IDENTITY] = &nps_mode_identity, [NPS_MODE_OPEN] = &nps_mode_open,
    [NPS_MODE_HYBRID] = &nps_mode_hybrid,     [NPS_MODE_NEUTRAL_LOSS] = &nps_mode_neutral_loss,
    [NPS_MODE_SHIFT] = &nps_mode_shift,       [NPS_MODE_ANALOGUE] = &nps_mode_analogue,
};

const char *nps_search_mode_name(nps_search_mode m)
{
    if (m == NPS_MODE_AUTO) return "auto";
    if ((int)m < 0 || (int)m >= NPS_MODE_COUNT || !nps_mode_table[m]) return "?";
    return nps_mode_table[m]->name;
}

int nps_search_mode_parse(nps_search_mode *out, const char *name)
{
    for (int i = 0; i < NPS_MODE_COUNT; i++)
        if (nps_mode_table[i] && nps_strcaseeq(name, nps_mode_table[i]->name)) {
            *out = (nps_search_mode)i;
            return 0;
        }
    if (nps_strcaseeq(name, "auto")) {
        *out = NPS_MODE_AUTO;
        return 0;
    }
    char list[256] = "";
    for (int i = 0; i < NPS_MODE_COUNT; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, nps_search_mode_name((nps_search_mode)i), sizeof list - strlen(list) - 1);
    }
    return nps_err(NPS_EINVAL, "unknown mode '%s' (%s)", name, list);
}
