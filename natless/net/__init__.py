"""Network facts read from AWS (or the emulator): which way each destination leaves a subnet."""
