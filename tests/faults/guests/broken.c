/* Does not compile for any target: a workload whose build fails. */
int main(void) { return this_is_not_declared; }
