/* audit.c: the public face of format audits (<brine/pickle.h>): finds a
 * format's audit hook, a descriptor field added in the room of `reserved`
 * (docs/abi.md), and calls it. The audit itself is the plugin's: the
 * pickle plugin runs its reader's stack machine (plugins/pickle/audit.c).
 */
#include <stddef.h>

#include "internal.h"
#include "brine/pickle.h"

/* The hook, if fmt's descriptor is large enough to hold the field and sets
 * it: a 0.1 plugin has zeros there (docs/abi.md, rule 3). */
static brine_audit_fn audit_hook(const brine_plugin *fmt)
{
    if (!fmt || fmt->size < offsetof(brine_plugin, audit) + sizeof fmt->audit)
        return NULL;
    return fmt->audit;
}

int brine_audit(const brine_plugin *fmt, brine_source *src, const brine_options *opts, brine_audit_report **report,
                brine_error *err)
{
    brine_error_clear(err);
    if (report)
        *report = NULL;
    if (!fmt || !src || !report)
        return brine_error_set(err, BRINE_E_INVALID, "brine_audit needs a format, a source and a report pointer");
    brine_audit_fn hook = audit_hook(fmt);
    if (!hook)
        return brine_error_set(err, BRINE_E_UNSUPPORTED, "the %s format has no audit", fmt->name);
    int rc = brine_options_check(fmt, opts, 0, err);
    if (rc != BRINE_OK)
        return rc;
    rc = hook(src, opts, report, err);
    /* A bad option value (allow=bogus) is the caller's error, found before
     * any byte is read: no report, as for an unknown option above. */
    if (rc == BRINE_E_OPTION && *report && !(*report)->count) {
        brine_audit_report_free(*report);
        *report = NULL;
    }
    if (!*report && rc == BRINE_OK)
        rc = brinep_nomem(err);
    return rc;
}

int brine_pickle_audit(const brine_registry *reg, brine_source *src, const brine_options *opts,
                       brine_audit_report **report, brine_error *err)
{
    brinep_enter(err);
    const brine_plugin *fmt = brine_registry_find(reg, "pickle");
    if (report)
        *report = NULL;
    if (!audit_hook(fmt)) {
        brine_error_clear(err);
        return brine_error_set(err, BRINE_E_NOTFOUND, "no pickle format with an audit is registered");
    }
    return brine_audit(fmt, src, opts, report, err);
}

void brine_audit_report_free(brine_audit_report *report)
{
    brine_free(report); /* one block: see brine_audit_fn */
}

const char *brine_audit_action_name(brine_audit_action action)
{
    switch (action) {
    case BRINE_AUDIT_IMPORT: return "import";
    case BRINE_AUDIT_CALL: return "call";
    case BRINE_AUDIT_BUILD: return "build";
    case BRINE_AUDIT_ITEMS: return "items";
    case BRINE_AUDIT_PERSID: return "persid";
    case BRINE_AUDIT_EXT: return "ext";
    }
    return "unknown";
}
