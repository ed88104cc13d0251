"""The waitlist: requests that found no room, in order (highest risk level first, then
the longest waiting), and their promotion to holds whenever beds free up."""
