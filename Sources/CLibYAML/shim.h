#ifndef SOPKIT_CLIBYAML_SHIM_H
#define SOPKIT_CLIBYAML_SHIM_H
// The system libyaml (Debian: libyaml-dev). Only SOPYAML/LibYAMLParser.swift imports this module.
#include <yaml.h>
#endif
