"""Stand-in for the 1NCE Management API, built from 1NCE's OpenAPI files (see contract/)."""
