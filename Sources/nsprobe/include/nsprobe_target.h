// Nothing to import: this target only carries the nsprobe program (see ../target.c).
