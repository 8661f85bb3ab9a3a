// SwiftPM wants one source file per target. The probe itself, nsprobe.c, is not compiled
// here: Plugins/BuildProbe builds it with `cc -static` (no Swift runtime, so it starts even
// without /proc, inside a bare rootfs) and ships it as this target's resource.
typedef int nslab_probe_is_built_by_a_plugin;
