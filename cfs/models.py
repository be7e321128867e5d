"""Container freight station records (collections, arrivals, hand-offs) live here."""
