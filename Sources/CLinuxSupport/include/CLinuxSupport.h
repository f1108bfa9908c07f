#ifndef TABBY_CLINUXSUPPORT_H
#define TABBY_CLINUXSUPPORT_H
// glibc symbols that need _GNU_SOURCE, which Swift's Glibc module does not define.

/// The symbolic name of an errno value ("EEXIST"), or NULL when glibc does not know it.
const char *tabby_errno_name(int errnum);

#endif
