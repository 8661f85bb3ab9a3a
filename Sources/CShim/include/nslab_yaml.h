// libyaml (Debian's libyaml-dev), the parser the grader reads lab.yml and course manifests
// with (Grading/YAML.swift).
#ifndef NSLAB_YAML_H
#define NSLAB_YAML_H
#include <yaml.h>
#endif
