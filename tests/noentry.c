/* noentry.c: a loadable library that is not a brine plugin (no entry point),
 * for the registry's fault tests. */
int noentry_answer(void);
int noentry_answer(void)
{
    return 42;
}
