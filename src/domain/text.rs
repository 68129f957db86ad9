//! See the helper that owns this file.
