#pragma once
// Moved to util so that config and storage share the rule; kept for the market stage's includes.
#include "tbml/util/pair_name.h"
