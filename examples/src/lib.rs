//! Examples of the voiceguard API; see the `examples/` folder.
