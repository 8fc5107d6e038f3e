#pragma once
// Versioned schema: migration N (1-based) moves the database from version N-1 to N. Append only;
// never edit a migration that has shipped.
#include <vector>

namespace tbml::schema {

const std::vector<const char*>& migrations();

}  // namespace tbml::schema
