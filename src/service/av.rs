//! Video and audio uploads (MP4, WebM, MOV, Ogg; MP3, M4A): recognised by their first bytes,
//! read with `ffprobe` (duration, dimensions, frame rate, bitrate) and given a preview frame
//! by `ffmpeg`. Both run as child processes with a timeout (`media.ffmpeg_timeout_secs`),
//! never on an async thread. The file is stored as uploaded: no transcoding.
//!
//! `ffmpeg` and `ffprobe` are optional runtime dependencies (Debian's `ffmpeg` package):
//! without them a video or audio upload is refused with 422 naming what is missing, and
//! images keep working.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;

use crate::config::Settings;
use crate::error::{Error, ErrorKind, Result};

/// A container recognised from the first bytes of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MP4 (ISO base media); M4A when its brand says audio.
    Mp4,
    M4a,
    /// QuickTime (`.mov`).
    QuickTime,
    WebM,
    Ogg,
    Mp3,
}

impl Container {
    /// Content type and file extension, by whether a (non cover-art) video stream is in it.
    fn stored_as(self, has_video: bool) -> (&'static str, &'static str) {
        match (self, has_video) {
            (Container::Mp4 | Container::M4a, true) => ("video/mp4", "mp4"),
            (Container::Mp4 | Container::M4a, false) => ("audio/mp4", "m4a"),
            (Container::QuickTime, true) => ("video/quicktime", "mov"),
            (Container::QuickTime, false) => ("audio/mp4", "m4a"),
            (Container::WebM, true) => ("video/webm", "webm"),
            (Container::WebM, false) => ("audio/webm", "weba"),
            (Container::Ogg, true) => ("video/ogg", "ogv"),
            (Container::Ogg, false) => ("audio/ogg", "ogg"),
            (Container::Mp3, _) => ("audio/mpeg", "mp3"),
        }
    }
}

/// The container an upload's first bytes (at least 64 if the file has them) show, if it is
/// one of the video or audio formats taken.
pub fn sniff(head: &[u8]) -> Option<Container> {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(match &head[8..12] {
            b"qt  " => Container::QuickTime,
            b"M4A " | b"M4B " => Container::M4a,
            _ => Container::Mp4,
        });
    }
    // Old QuickTime files start with another atom.
    if head.len() >= 8 && matches!(&head[4..8], b"moov" | b"mdat" | b"wide" | b"free") {
        return Some(Container::QuickTime);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML: WebM says so in its DocType near the start (Matroska is not taken).
        return head
            .windows(4)
            .any(|w| w == b"webm")
            .then_some(Container::WebM);
    }
    if head.starts_with(b"OggS") {
        return Some(Container::Ogg);
    }
    if head.starts_with(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE6 == 0xE2) {
        return Some(Container::Mp3);
    }
    None
}

/// Most frames per second a video may have (the instance's `video_frame_rate_limit`).
pub const MAX_FRAME_RATE: f64 = 120.0;

/// What `ffprobe` found in a video or audio file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    /// `"video"` or `"audio"`.
    pub kind: &'static str,
    pub content_type: &'static str,
    pub ext: &'static str,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration: Option<f64>,
    /// As ffprobe gives it: `"30/1"`.
    pub frame_rate: Option<String>,
    pub bitrate: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Debug, Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    bit_rate: Option<String>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: i64,
}

#[derive(Debug, Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
    bit_rate: Option<String>,
}

fn cannot_read() -> Error {
    Error::unprocessable(
        "Validation failed: the file cannot be read as video or audio (MP4, WebM, MOV, MP3, OGG or M4A)",
    )
}

/// Read ffprobe's JSON (`-show_format -show_streams`) of a file in `container`.
pub fn parse_probe(container: Container, json: &[u8], max_pixels: u64) -> Result<Probed> {
    let out: ProbeOutput = serde_json::from_slice(json).map_err(|_| cannot_read())?;
    let video = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0);
    let audio = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    let Some(main) = video.or(audio) else {
        return Err(cannot_read());
    };
    let (content_type, ext) = container.stored_as(video.is_some());
    let number = |s: &Option<String>| s.as_deref().and_then(|d| d.parse::<f64>().ok());
    let duration = out
        .format
        .as_ref()
        .and_then(|f| number(&f.duration))
        .or_else(|| number(&main.duration))
        .filter(|d| d.is_finite() && *d >= 0.0);
    let bitrate = out
        .format
        .as_ref()
        .and_then(|f| number(&f.bit_rate))
        .or_else(|| number(&main.bit_rate))
        .map(|b| b as i64);
    let (width, height, frame_rate) = match video {
        Some(v) => {
            let (w, h) = match (v.width, v.height) {
                (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
                _ => return Err(cannot_read()),
            };
            if u64::from(w) * u64::from(h) > max_pixels {
                return Err(Error::unprocessable(format!(
                    "Validation failed: the video is too large ({w}x{h}); at most {max_pixels} pixels"
                )));
            }
            let rate = [&v.avg_frame_rate, &v.r_frame_rate]
                .into_iter()
                .flatten()
                .find(|r| !r.starts_with("0/") && r.as_str() != "0")
                .cloned();
            let fps = rate.as_deref().and_then(|r| {
                let (n, d) = r.split_once('/').unwrap_or((r, "1"));
                Some(n.parse::<f64>().ok()? / d.parse::<f64>().ok().filter(|d| *d > 0.0)?)
            });
            if fps.is_some_and(|f| f > MAX_FRAME_RATE) {
                return Err(Error::unprocessable(format!(
                    "Validation failed: the video has too many frames per second (at most {MAX_FRAME_RATE})"
                )));
            }
            (Some(w), Some(h), rate)
        }
        None => (None, None, None),
    };
    Ok(Probed {
        kind: if video.is_some() { "video" } else { "audio" },
        content_type,
        ext,
        width,
        height,
        duration,
        frame_rate,
        bitrate,
    })
}

/// Whether a program is there: a path to a file, or a name found on `PATH`. Blocking (a few
/// `stat`s): call it on the blocking pool.
fn program_exists(program: &Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Refuse a video or audio upload when `ffprobe` or `ffmpeg` is not installed, naming which.
/// Blocking: call it on the blocking pool.
pub fn check_tools(settings: &Settings) -> Result<()> {
    let missing: Vec<String> = [&settings.media.ffprobe_path, &settings.media.ffmpeg_path]
        .into_iter()
        .filter(|p| !program_exists(p))
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::unprocessable(format!(
        "Video and audio uploads need ffmpeg and ffprobe, which are not installed on this server \
         (missing: {}); images can still be uploaded",
        missing.join(", ")
    )))
}

/// Run a program on `input` and return what it wrote to standard output; stopped (and the
/// upload refused) after `media.ffmpeg_timeout_secs`.
async fn run(settings: &Settings, program: &PathBuf, args: &[&std::ffi::OsStr]) -> Result<Vec<u8>> {
    let name = program.display().to_string();
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::unprocessable(format!(
                "Video and audio uploads need ffmpeg and ffprobe, which are not installed on \
                 this server (missing: {name}); images can still be uploaded"
            )));
        }
        Err(e) => return Err(Error::internal(e)),
    };
    let limit = Duration::from_secs(settings.media.ffmpeg_timeout_secs.max(1));
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => output.map_err(Error::internal)?,
        Err(_) => {
            tracing::warn!(program = %name, "stopped: took too long on an upload");
            return Err(Error::unprocessable(format!(
                "Validation failed: the file took too long to read (more than {} seconds)",
                limit.as_secs()
            )));
        }
    };
    if !output.status.success() {
        tracing::debug!(
            program = %name,
            stderr = %String::from_utf8_lossy(&output.stderr),
            "cannot read an upload"
        );
        return Err(cannot_read());
    }
    Ok(output.stdout)
}

/// `ffprobe` a file in `container`.
pub async fn probe(settings: &Settings, container: Container, path: &Path) -> Result<Probed> {
    let json = run(
        settings,
        &settings.media.ffprobe_path,
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-print_format".as_ref(),
            "json".as_ref(),
            "-show_format".as_ref(),
            "-show_streams".as_ref(),
            "--".as_ref(),
            path.as_os_str(),
        ],
    )
    .await?;
    parse_probe(container, &json, settings.limits.max_image_pixels)
}

/// The first frame of a video as PNG (made into a preview like an image's).
pub async fn first_frame(settings: &Settings, path: &Path) -> Result<Vec<u8>> {
    let png = run(
        settings,
        &settings.media.ffmpeg_path,
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-nostdin".as_ref(),
            "-i".as_ref(),
            path.as_os_str(),
            "-map".as_ref(),
            "0:v:0".as_ref(),
            "-frames:v".as_ref(),
            "1".as_ref(),
            "-f".as_ref(),
            "image2pipe".as_ref(),
            "-c:v".as_ref(),
            "png".as_ref(),
            "-".as_ref(),
        ],
    )
    .await?;
    if png.is_empty() {
        return Err(cannot_read());
    }
    Ok(png)
}

/// A too-large video or audio upload.
pub fn too_large(settings: &Settings) -> Error {
    Error::new(
        ErrorKind::PayloadTooLarge,
        format!(
            "File is too large: video and audio at most {} bytes",
            settings.limits.max_video_bytes
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_recognised_by_their_first_bytes() {
        assert_eq!(
            sniff(b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2"),
            Some(Container::Mp4)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Some(Container::QuickTime)
        );
        assert_eq!(sniff(b"\0\0\0\x1cftypM4A \0\0\0\0"), Some(Container::M4a));
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"),
            Some(Container::WebM)
        );
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"),
            None
        );
        assert_eq!(sniff(b"OggS\0\x02"), Some(Container::Ogg));
        assert_eq!(sniff(b"ID3\x04\0"), Some(Container::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some(Container::Mp3));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(sniff(b"%PDF-1.4"), None);
    }

    #[test]
    fn probe_output_is_read() {
        let json = br#"{"streams":[
            {"codec_type":"video","width":320,"height":240,"avg_frame_rate":"10/1","duration":"1.000000"},
            {"codec_type":"audio","duration":"1.000000"}],
            "format":{"duration":"1.023000","bit_rate":"123456"}}"#;
        let p = parse_probe(Container::Mp4, json, 1_000_000).unwrap();
        assert_eq!(
            (p.kind, p.content_type, p.ext),
            ("video", "video/mp4", "mp4")
        );
        assert_eq!((p.width, p.height), (Some(320), Some(240)));
        assert_eq!(p.frame_rate.as_deref(), Some("10/1"));
        assert_eq!(p.duration, Some(1.023));
        assert_eq!(p.bitrate, Some(123_456));
        assert!(parse_probe(Container::Mp4, json, 1000).is_err());

        // Cover art in an MP3 is not a video.
        let json = br#"{"streams":[{"codec_type":"audio"},
            {"codec_type":"video","width":500,"height":500,"disposition":{"attached_pic":1}}],
            "format":{"duration":"3.5"}}"#;
        let p = parse_probe(Container::Mp3, json, 1_000_000).unwrap();
        assert_eq!(
            (p.kind, p.content_type, p.width),
            ("audio", "audio/mpeg", None)
        );

        assert!(parse_probe(Container::WebM, br#"{"streams":[]}"#, 1_000_000).is_err());
        assert!(parse_probe(Container::WebM, b"not json", 1_000_000).is_err());
    }
}
