"""The course server: where it keeps what (the layout ``make install-server`` makes and
the hub checks) and POSIX ACLs.

May import ``kernel`` (to name the packages a student must not reach)."""
