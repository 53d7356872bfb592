/* pickle.h: what loading a pickle in Python would do, and allow-lists.
 *
 * brine's pickle reader never imports or calls anything (docs/pickle.md), but
 * the same bytes given to CPython's pickle.load import modules and call what
 * they name, also where the call's result is later dropped (popped, left in
 * the memo, overwritten by a later SETITEM or BUILD), so that the decoded
 * value alone does not show it. The audit runs the reader's own stack
 * machine over the stream and lists every such action with its opcode
 * offset and whether its result reaches the returned value.
 *
 * ALLOW-LISTS. The pickle format takes an `allow=ENTRY[,ENTRY...]` option,
 * when decoding (any global outside the list is refused with BRINE_E_MODEL
 * naming it and its offset) and when encoding (a model or global outside
 * the list is refused with BRINE_E_MODEL naming it and how to allow it; the
 * default is the `safe` preset plus, through <brine/model.h>'s save calls,
 * the registered types). An entry is a name as brine writes model names,
 * "module.name" or "module:Outer.Inner" for a nested qualname, or a pattern
 * whose `*` matches within one dotted component ("sklearn.tree._tree.*"),
 * or a preset: `safe` (builtin containers and scalars, collections,
 * datetime, decimal, fractions, numpy's array, dtype and scalar
 * reconstructors) or `sklearn` (safe plus what Debian's scikit-learn
 * pickles of the estimators in brine's tests name). Several allow= options
 * add up.
 *
 * Errors and ownership follow <brine/brine.h>.
 */
#ifndef BRINE_PICKLE_H
#define BRINE_PICKLE_H

#include <brine/brine.h>
#include <brine/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What one opcode makes Python do. */
typedef enum brine_audit_action {
    BRINE_AUDIT_IMPORT = 1, /* GLOBAL, STACK_GLOBAL, INST: imports a module and looks a name up */
    BRINE_AUDIT_CALL = 2,   /* REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ: calls a callable */
    BRINE_AUDIT_BUILD = 3,  /* BUILD: __setstate__ or a __dict__ update (brine cannot tell which) */
    BRINE_AUDIT_ITEMS = 4,  /* APPEND(S), SETITEM(S), ADDITEMS on an object: its methods */
    BRINE_AUDIT_PERSID = 5, /* PERSID, BINPERSID: the unpickler's persistent_load */
    BRINE_AUDIT_EXT = 6     /* EXT1, EXT2, EXT4: copyreg's extension registry (empty in a fresh Python) */
} brine_audit_action;

typedef struct brine_audit_entry {
    brine_audit_action action;
    uint64_t offset;    /* input offset of the opcode */
    const char *opcode; /* pickletools' name: "REDUCE" */
    /* IMPORT: the name ("os.system", "module:Outer.Inner"); CALL: the
     * callable's name, or "result of NAME at offset N" for a callable an
     * earlier call returned, or "a TYPE" for anything else; BUILD and
     * ITEMS: the object's type name; PERSID: the id's repr; EXT: the code
     * in decimal. UTF-8, NUL-terminated. */
    const char *name;
    /* 1 if what the opcode made (the name, the call's result, the object
     * given state or items) is part of the returned value; 0 if it was
     * dropped or overwritten, so that the decoded value does not show it. A
     * BUILD whose state a later BUILD replaced is 0. */
    int reaches;
} brine_audit_entry;

/* An audit: its entries in stream order, then how the stream ended. */
typedef struct brine_audit_report {
    size_t count;
    const brine_audit_entry *entries;
    /* BRINE_OK when the stream decoded; else the decoding error, and the
     * entries are those before it (Python may have run them). */
    int status;
    brine_error error;
} brine_audit_report;

/* Audits one pickle read from src with the pickle plugin found in reg (its
 * decoding options in opts: allow=, the depth limit). *report (free with
 * brine_audit_report_free) holds the entries also when the stream fails to
 * decode; the return value is then that error (also in err). NULL *report
 * and BRINE_E_NOTFOUND when reg has no pickle plugin with an audit hook,
 * BRINE_E_OPTION for an unknown option or a bad value (allow=bogus),
 * BRINE_E_INVALID for a NULL src or report, BRINE_E_NOMEM when out of
 * memory. */
BRINE_API int brine_pickle_audit(const brine_registry *reg, brine_source *src, const brine_options *opts,
                                 brine_audit_report **report, brine_error *err);

/* Audits with fmt's audit hook (BRINE_E_UNSUPPORTED if it has none). */
BRINE_API int brine_audit(const brine_plugin *fmt, brine_source *src, const brine_options *opts,
                          brine_audit_report **report, brine_error *err);

/* Frees a report. NULL is allowed. */
BRINE_API void brine_audit_report_free(brine_audit_report *report);

/* The audit's name for an action: "import", "call", "build", "items",
 * "persid", "ext". */
BRINE_API const char *brine_audit_action_name(brine_audit_action action);

#ifdef __cplusplus
}
#endif
#endif /* BRINE_PICKLE_H */
