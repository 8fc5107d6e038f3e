#pragma once
// Candle lives in features/ (the stage below market); this path stays for the files that still include it.
#include "tbml/features/candle.h"
