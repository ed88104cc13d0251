"""Finding a case by the defender's name through a keyed blind index (never decrypting every case)."""
