//! Limits that protect against hostile or broken files.

/// Bounds checked while decoding, before anything large is allocated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest accepted duration, in seconds (default 4 hours).
    pub max_duration_s: f32,
    /// Most channels accepted (default 32).
    pub max_channels: u16,
    /// Lowest accepted sample rate in Hz (default 4000).
    pub min_rate_hz: u32,
    /// Highest accepted sample rate in Hz (default 384 000).
    pub max_rate_hz: u32,
    /// Largest file read into memory, in bytes (default 2 GiB).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_duration_s: 4.0 * 3600.0,
            max_channels: 32,
            min_rate_hz: 4_000,
            max_rate_hz: 384_000,
            max_file_bytes: 2 << 30,
        }
    }
}

impl Limits {
    /// Checks a stream's header facts.
    ///
    /// # Errors
    /// [`crate::Error::LimitExceeded`] naming the first fact out of range.
    pub fn check(&self, path: &std::path::Path, rate_hz: u32, channels: u16, frames: Option<u64>) -> crate::Result<()> {
        let err = |what: &'static str, actual: String, limit: String| crate::Error::LimitExceeded {
            path: path.into(),
            what,
            actual,
            limit,
        };
        if channels == 0 || channels > self.max_channels {
            return Err(err(
                "the channel count",
                channels.to_string(),
                format!("1..={} channels", self.max_channels),
            ));
        }
        if rate_hz < self.min_rate_hz || rate_hz > self.max_rate_hz {
            return Err(err(
                "the sample rate",
                format!("{rate_hz} Hz"),
                format!("{}..={} Hz", self.min_rate_hz, self.max_rate_hz),
            ));
        }
        if let Some(frames) = frames {
            #[allow(clippy::cast_precision_loss)]
            let secs = frames as f64 / f64::from(rate_hz);
            if secs > f64::from(self.max_duration_s) {
                return Err(err(
                    "the duration",
                    format!("{secs:.1} s"),
                    format!("{:.1} s", self.max_duration_s),
                ));
            }
        }
        Ok(())
    }

    /// Largest number of frames accepted at `rate_hz`.
    #[must_use]
    pub fn max_frames(&self, rate_hz: u32) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (f64::from(self.max_duration_s) * f64::from(rate_hz)).ceil() as u64;
        n
    }
}
