//! Media uploads: check, strip metadata, make a preview and a blurhash, store under
//! `storage.data_dir/media/<random>/`. Video and audio: see [`super::av`].
//!
//! Every JPEG, PNG and WebP is decoded and re-encoded, so EXIF (camera, GPS position) and
//! other metadata never leave the server; the EXIF orientation is applied first so photos
//! stay upright. GIFs are kept as uploaded (they carry no EXIF) so animations survive.

use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::{Path, PathBuf};

use chrono::Utc;
use diesel::prelude::*;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::auth::secrets;
use crate::config::Settings;
use crate::db::models::MediaAttachment;
use crate::db::schema::media_attachments;
use crate::db::{DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};

/// Longest side of the preview clients show in timelines.
pub const PREVIEW_SIZE: u32 = 640;

/// An image ready to be stored: the cleaned original and its preview.
pub struct ProcessedImage {
    pub content_type: &'static str,
    pub original: Vec<u8>,
    pub original_ext: &'static str,
    pub width: u32,
    pub height: u32,
    pub preview: Vec<u8>,
    pub preview_ext: &'static str,
    pub blurhash: String,
}

fn unprocessable(message: impl Into<String>) -> Error {
    Error::unprocessable(message.into())
}

/// Decode with size limits and orientation applied.
fn decode<R: BufRead + Seek>(source: R, max_pixels: u64) -> Result<(ImageFormat, DynamicImage)> {
    let reader = ImageReader::new(source)
        .with_guessed_format()
        .map_err(Error::internal)?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Gif | ImageFormat::WebP)) => {
            f
        }
        _ => {
            return Err(unprocessable(
                "Validation failed: File content type is not supported (JPEG, PNG, WebP or GIF)",
            ));
        }
    };
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_alloc = Some(1024 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| unprocessable(format!("Validation failed: the image cannot be read: {e}")))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(unprocessable(format!(
            "Validation failed: the image is too large ({w}x{h}); at most {max_pixels} pixels"
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|e| unprocessable(format!("Validation failed: the image cannot be read: {e}")))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok((format, img))
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(Error::internal)?;
    Ok(out)
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).map_err(Error::internal)?;
    Ok(out.into_inner())
}

/// Check, clean and preview an uploaded image. CPU-heavy: run on a blocking thread.
pub fn process_image(bytes: &[u8], max_pixels: u64) -> Result<ProcessedImage> {
    process(Cursor::new(bytes), || Ok(bytes.to_vec()), max_pixels)
}

/// [`process_image`] of an upload the request streamed to a temporary file: it is decoded
/// from the file, never read whole into memory (except a GIF, which is kept as it is).
pub fn process_image_file(path: &Path, max_pixels: u64) -> Result<ProcessedImage> {
    let file = std::fs::File::open(path).map_err(Error::internal)?;
    process(
        BufReader::new(file),
        || std::fs::read(path).map_err(Error::internal),
        max_pixels,
    )
}

fn process<R: BufRead + Seek>(
    source: R,
    original_bytes: impl FnOnce() -> Result<Vec<u8>>,
    max_pixels: u64,
) -> Result<ProcessedImage> {
    let (format, img) = decode(source, max_pixels)?;
    let (content_type, original, original_ext) = match format {
        ImageFormat::Jpeg => ("image/jpeg", encode_jpeg(&img, 90)?, "jpg"),
        ImageFormat::Png => ("image/png", encode(&img, ImageFormat::Png)?, "png"),
        // The WebP encoder at hand is lossless: keep the pixels, drop the metadata.
        ImageFormat::WebP => (
            "image/webp",
            encode(&img.to_rgba8().into(), ImageFormat::WebP)?,
            "webp",
        ),
        _ => ("image/gif", original_bytes()?, "gif"),
    };
    // `thumbnail` would enlarge a small image: the preview is never larger than the image.
    let small = if img.width() > PREVIEW_SIZE || img.height() > PREVIEW_SIZE {
        img.thumbnail(PREVIEW_SIZE, PREVIEW_SIZE)
    } else {
        img.clone()
    };
    let (preview, preview_ext) = if small.color().has_alpha() {
        (encode(&small, ImageFormat::Png)?, "png")
    } else {
        (encode_jpeg(&small, 80)?, "jpg")
    };
    let tiny = img.thumbnail(32, 32).to_rgba8();
    let blurhash = blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw())
        .map_err(|e| Error::internal(anyhow::anyhow!("blurhash: {e}")))?;
    Ok(ProcessedImage {
        content_type,
        original,
        original_ext,
        width: img.width(),
        height: img.height(),
        preview,
        preview_ext,
        blurhash,
    })
}

/// A square avatar (400×400) or a 1500×500 header, cropped to fill, as JPEG or PNG.
pub fn process_profile_image(
    path: &Path,
    max_pixels: u64,
    width: u32,
    height: u32,
) -> Result<(Vec<u8>, &'static str)> {
    let file = std::fs::File::open(path).map_err(Error::internal)?;
    let (_, img) = decode(BufReader::new(file), max_pixels)?;
    let filled = img.resize_to_fill(width, height, image::imageops::FilterType::Lanczos3);
    if filled.color().has_alpha() {
        Ok((encode(&filled, ImageFormat::Png)?, "png"))
    } else {
        Ok((encode_jpeg(&filled, 88)?, "jpg"))
    }
}

/// Where a stored file lives on disk.
pub fn disk_path(settings: &Settings, relative: &str) -> PathBuf {
    settings.storage.data_dir.join(relative)
}

/// The public URL of a stored file.
pub fn public_url(settings: &Settings, relative: &str) -> String {
    format!("{}/{relative}", settings.instance.base())
}

/// Write files into a new unguessable folder `media/<random>/`; returns the folder.
pub fn store_files(settings: &Settings, files: &[(&str, &[u8])]) -> Result<String> {
    let folder = format!("media/{}", secrets::new_token());
    let dir = settings.storage.data_dir.join(&folder);
    std::fs::create_dir_all(&dir).map_err(Error::internal)?;
    for (name, bytes) in files {
        write_atomically(&dir.join(name), bytes)?;
    }
    Ok(folder)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).map_err(Error::internal)?;
    std::fs::rename(&tmp, path).map_err(Error::internal)
}

/// Description and focal point sent with an upload or an update.
#[derive(Debug, Default, Clone)]
pub struct MediaDetails {
    pub description: Option<String>,
    /// `"x,y"`, each in -1.0..=1.0.
    pub focus: Option<String>,
}

fn parse_focus(raw: &str) -> Result<(f64, f64)> {
    let parse = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| (-1.0..=1.0).contains(v))
    };
    match raw.split_once(',') {
        Some((x, y)) => match (parse(x), parse(y)) {
            (Some(x), Some(y)) => Ok((x, y)),
            _ => Err(unprocessable(
                "Validation failed: focus must be two numbers from -1.0 to 1.0",
            )),
        },
        None => Err(unprocessable("Validation failed: focus must be \"x,y\"")),
    }
}

fn check_description(settings: &Settings, description: &str) -> Result<()> {
    let max = settings.limits.max_media_description_chars;
    if description.chars().count() > max {
        return Err(unprocessable(format!(
            "Validation failed: Description is too long (maximum is {max} characters)"
        )));
    }
    Ok(())
}

/// What an upload is once its files are stored: where, and what it holds.
#[derive(Debug, Clone)]
pub struct StoredUpload {
    /// `"image"`, `"video"` or `"audio"`.
    pub kind: &'static str,
    pub content_type: &'static str,
    /// Relative to `storage.data_dir`.
    pub file_path: String,
    pub thumbnail_path: Option<String>,
    pub file_size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub blurhash: Option<String>,
    pub duration: Option<f64>,
    pub frame_rate: Option<String>,
    pub bitrate: Option<i64>,
}

impl StoredUpload {
    /// A processed image stored in `folder` by [`store_files`].
    pub fn image(folder: &str, image: &ProcessedImage) -> StoredUpload {
        StoredUpload {
            kind: "image",
            content_type: image.content_type,
            file_path: format!("{folder}/original.{}", image.original_ext),
            thumbnail_path: Some(format!("{folder}/small.{}", image.preview_ext)),
            file_size: image.original.len() as u64,
            width: Some(image.width),
            height: Some(image.height),
            blurhash: Some(image.blurhash.clone()),
            duration: None,
            frame_rate: None,
            bitrate: None,
        }
    }
}

/// Store a video or audio upload as it was sent (the request's temporary file is moved into
/// a new folder `media/<random>/`), with its preview frame if it has one. Blocking.
pub fn store_av(
    settings: &Settings,
    upload: tempfile::NamedTempFile,
    probed: &super::av::Probed,
    preview: Option<&ProcessedImage>,
) -> Result<StoredUpload> {
    let folder = match preview {
        Some(p) => store_files(
            settings,
            &[(&format!("small.{}", p.preview_ext), &p.preview)],
        )?,
        None => store_files(settings, &[])?,
    };
    let original = format!("{folder}/original.{}", probed.ext);
    let file_size = upload.as_file().metadata().map_err(Error::internal)?.len();
    upload
        .persist(settings.storage.data_dir.join(&original))
        .map_err(|e| Error::internal(e.error))?;
    Ok(StoredUpload {
        kind: probed.kind,
        content_type: probed.content_type,
        file_path: original,
        thumbnail_path: preview.map(|p| format!("{folder}/small.{}", p.preview_ext)),
        file_size,
        width: probed.width,
        height: probed.height,
        blurhash: preview.map(|p| p.blurhash.clone()),
        duration: probed.duration,
        frame_rate: probed.frame_rate.clone(),
        bitrate: probed.bitrate,
    })
}

/// Record a stored upload (unattached) for `account_id`.
pub fn save_upload(
    conn: &mut DbConnection,
    settings: &Settings,
    account_id: i64,
    upload: &StoredUpload,
    details: MediaDetails,
) -> Result<MediaAttachment> {
    let description = details.description.unwrap_or_default();
    check_description(settings, &description)?;
    let (focus_x, focus_y) = details
        .focus
        .as_deref()
        .map(parse_focus)
        .transpose()?
        .unwrap_or((0.0, 0.0));
    let now = Utc::now().naive_utc();
    let row = MediaAttachment {
        id: ids::next_id(),
        account_id,
        status_id: None,
        kind: upload.kind.into(),
        content_type: upload.content_type.into(),
        file_path: Some(upload.file_path.clone()),
        thumbnail_path: upload.thumbnail_path.clone(),
        remote_url: None,
        file_size: i64::try_from(upload.file_size).unwrap_or(i64::MAX),
        width: upload.width.and_then(|w| i32::try_from(w).ok()),
        height: upload.height.and_then(|h| i32::try_from(h).ok()),
        description,
        blurhash: upload.blurhash.clone(),
        focus_x,
        focus_y,
        created_at: now,
        updated_at: now,
        duration: upload.duration,
        frame_rate: upload.frame_rate.clone(),
        bitrate: upload.bitrate,
    };
    diesel::insert_into(media_attachments::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// One of the employee's own uploads.
pub fn find_own(conn: &mut DbConnection, account_id: i64, id: i64) -> Result<MediaAttachment> {
    media_attachments::table
        .filter(media_attachments::id.eq(id))
        .filter(media_attachments::account_id.eq(account_id))
        .select(MediaAttachment::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// One of the employee's uploads not yet attached to a status (what `GET`/`PUT
/// /api/v1/media/:id` may read and change; attached media change through a status edit).
pub fn find_unattached(
    conn: &mut DbConnection,
    account_id: i64,
    id: i64,
) -> Result<MediaAttachment> {
    let media = find_own(conn, account_id, id)?;
    if media.status_id.is_some() {
        return Err(Error::not_found());
    }
    Ok(media)
}

/// `PUT /api/v1/media/:id`: change the description or focal point.
pub fn update(
    conn: &mut DbConnection,
    settings: &Settings,
    account_id: i64,
    id: i64,
    details: MediaDetails,
) -> Result<MediaAttachment> {
    let mut media = find_unattached(conn, account_id, id)?;
    if let Some(d) = details.description {
        check_description(settings, &d)?;
        media.description = d;
    }
    if let Some(f) = details.focus.as_deref() {
        (media.focus_x, media.focus_y) = parse_focus(f)?;
    }
    Ok(diesel::update(media_attachments::table.find(id))
        .set((
            media_attachments::description.eq(&media.description),
            media_attachments::focus_x.eq(media.focus_x),
            media_attachments::focus_y.eq(media.focus_y),
            media_attachments::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(media_attachments::all_columns)
        .get_result(conn)?)
}

/// Check that `ids` are the employee's uploads and may go on a status (`status_id` is the
/// status being edited, whose own media may stay). Returns them in the order given.
pub fn check_attachable(
    conn: &mut DbConnection,
    settings: &Settings,
    account_id: i64,
    raw_ids: &[String],
    status_id: Option<i64>,
) -> Result<Vec<MediaAttachment>> {
    let max = settings.limits.max_media_attachments;
    if raw_ids.len() > max {
        return Err(unprocessable(format!(
            "Validation failed: at most {max} media attachments"
        )));
    }
    let mut out = Vec::new();
    for raw in raw_ids {
        let id: i64 = raw.trim().parse().map_err(|_| {
            unprocessable("Validation failed: Media attachments are unknown or not yours")
        })?;
        let media = find_own(conn, account_id, id).map_err(|_| {
            unprocessable("Validation failed: Media attachments are unknown or not yours")
        })?;
        if media.status_id.is_some() && media.status_id != status_id {
            return Err(unprocessable(
                "Validation failed: Media attachment is already attached to another post",
            ));
        }
        if !out.iter().any(|m: &MediaAttachment| m.id == id) {
            out.push(media);
        }
    }
    Ok(out)
}

/// Attach checked media to a status (and detach what an edit removed).
pub fn attach(conn: &mut DbConnection, status_id: i64, media: &[MediaAttachment]) -> Result<()> {
    let ids: Vec<i64> = media.iter().map(|m| m.id).collect();
    diesel::update(
        media_attachments::table
            .filter(media_attachments::status_id.eq(status_id))
            .filter(media_attachments::id.ne_all(&ids)),
    )
    .set(media_attachments::status_id.eq(None::<i64>))
    .execute(conn)?;
    diesel::update(media_attachments::table.filter(media_attachments::id.eq_any(&ids)))
        .set(media_attachments::status_id.eq(Some(status_id)))
        .execute(conn)?;
    Ok(())
}

/// Whether a path under `/media/` names a file we serve (`<43 url-safe chars>/<name>.<ext>`).
pub fn valid_media_path(folder: &str, file: &str) -> bool {
    folder.len() == 43
        && folder
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && matches!(
            file,
            "original.jpg"
                | "original.png"
                | "original.webp"
                | "original.gif"
                | "original.mp4"
                | "original.m4a"
                | "original.mov"
                | "original.webm"
                | "original.weba"
                | "original.ogv"
                | "original.ogg"
                | "original.mp3"
                | "small.jpg"
                | "small.png"
                | "avatar.jpg"
                | "avatar.png"
                | "header.jpg"
                | "header.png"
        )
}

pub fn content_type_for(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        Some("m4a") => "audio/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("weba") => "audio/webm",
        Some("ogv") => "video/ogg",
        Some("ogg") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A too-large upload (`video`: to an endpoint that also takes video and audio).
pub fn too_large(settings: &Settings, video: bool) -> Error {
    let images = settings.limits.max_image_bytes;
    let message = if video {
        format!(
            "File is too large: images at most {images} bytes, video and audio at most {} bytes",
            settings.limits.max_video_bytes
        )
    } else {
        format!("File is too large: at most {images} bytes")
    };
    Error::new(ErrorKind::PayloadTooLarge, message)
}

/// Uploads never attached to a status (nor to a scheduled one) are removed after this long.
pub const ORPHAN_HOURS: i64 = 24;

/// Forget uploads that were never attached (older than [`ORPHAN_HOURS`]); returns the folders
/// whose files the caller deletes once this transaction has committed.
pub fn remove_orphans(conn: &mut DbConnection) -> Result<Vec<String>> {
    let cutoff = Utc::now().naive_utc() - chrono::Duration::hours(ORPHAN_HOURS);
    let orphans: Vec<(i64, Option<String>)> = media_attachments::table
        .filter(media_attachments::status_id.is_null())
        .filter(media_attachments::created_at.lt(cutoff))
        // A scheduled post's uploads wait for it.
        .filter(diesel::dsl::not(
            media_attachments::id.eq_any(
                crate::db::schema::scheduled_media::table
                    .select(crate::db::schema::scheduled_media::media_attachment_id),
            ),
        ))
        .select((media_attachments::id, media_attachments::file_path))
        .limit(500)
        .load(conn)?;
    let ids: Vec<i64> = orphans.iter().map(|(id, _)| *id).collect();
    diesel::delete(media_attachments::table.filter(media_attachments::id.eq_any(&ids)))
        .execute(conn)?;
    Ok(orphans
        .into_iter()
        .filter_map(|(_, path)| path)
        .filter_map(|p| p.rsplit_once('/').map(|(folder, _)| folder.to_string()))
        .filter(|folder| folder.starts_with("media/"))
        .collect())
}

/// Where requests stream the files they upload before they are processed (under
/// `storage.data_dir`, not the system's temporary folder, which may be memory).
pub fn upload_dir(settings: &Settings) -> PathBuf {
    settings.storage.data_dir.join("tmp")
}

/// Prefix of the temporary files in [`upload_dir`].
pub const UPLOAD_PREFIX: &str = "upload-";

/// Remove temporary upload files older than an hour: a request removes its own when it ends,
/// so these are what a crash left. Returns how many were removed.
pub fn remove_stale_uploads(settings: &Settings) -> usize {
    let Ok(entries) = std::fs::read_dir(upload_dir(settings)) else {
        return 0;
    };
    let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(UPLOAD_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Delete the files of removed uploads.
pub fn delete_folders(settings: &Settings, folders: &[String]) {
    for folder in folders {
        let dir = settings.storage.data_dir.join(folder);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, folder, "cannot delete media files");
        }
    }
}

/// An employee uploads a file (streamed to `file` while the request was read): images are
/// decoded and re-encoded; video and audio (recognised by their first bytes, whatever the
/// client says) are read with ffprobe, given a preview frame by ffmpeg and stored as sent.
/// Then it is recorded, unattached, for `account_id` to attach to a post. The same for the
/// client API and the web compose form.
pub async fn upload(
    ctx: &crate::context::AppContext,
    account_id: i64,
    file: tempfile::NamedTempFile,
    details: MediaDetails,
) -> Result<MediaAttachment> {
    use super::av;
    let settings = ctx.settings.clone();
    let (file, container) = tokio::task::spawn_blocking(move || -> Result<_> {
        use std::io::Read;
        let size = file.as_file().metadata().map_err(Error::internal)?.len();
        let mut head = Vec::with_capacity(64);
        std::fs::File::open(file.path())
            .and_then(|f| f.take(64).read_to_end(&mut head))
            .map_err(Error::internal)?;
        let container = av::sniff(&head);
        if container.is_some() {
            if size > settings.limits.max_video_bytes as u64 {
                return Err(av::too_large(&settings));
            }
            av::check_tools(&settings)?;
        } else if size > settings.limits.max_image_bytes as u64 {
            return Err(too_large(&settings, false));
        }
        Ok((file, container))
    })
    .await??;
    let settings = ctx.settings.clone();
    let stored = match container {
        Some(container) => {
            let probed = av::probe(&settings, container, file.path()).await?;
            let frame = if probed.kind == "video" {
                Some(av::first_frame(&settings, file.path()).await?)
            } else {
                None
            };
            tokio::task::spawn_blocking(move || -> Result<_> {
                let max_pixels = settings.limits.max_image_pixels;
                let preview = frame
                    .map(|png| process_image(&png, max_pixels))
                    .transpose()?;
                store_av(&settings, file, &probed, preview.as_ref())
            })
            .await??
        }
        None => {
            tokio::task::spawn_blocking(move || -> Result<_> {
                let max_pixels = settings.limits.max_image_pixels;
                let image = process_image_file(file.path(), max_pixels)?;
                let folder = store_files(
                    &settings,
                    &[
                        (&format!("original.{}", image.original_ext), &image.original),
                        (&format!("small.{}", image.preview_ext), &image.preview),
                    ],
                )?;
                Ok(StoredUpload::image(&folder, &image))
            })
            .await??
        }
    };
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| save_upload(conn, &settings, account_id, &stored, details))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn jpeg_with_exif() -> Vec<u8> {
        let img = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 128]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .unwrap();
        // Insert an APP1/EXIF segment (with a fake GPS marker) right after SOI.
        let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-LATITUDE-51.5";
        let len = (payload.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_is_stripped_and_a_preview_made() {
        let upload = jpeg_with_exif();
        assert!(upload.windows(12).any(|w| w == b"GPS-LATITUDE"));
        let processed = process_image(&upload, 1_000_000).unwrap();
        assert_eq!(processed.content_type, "image/jpeg");
        assert_eq!((processed.width, processed.height), (64, 48));
        assert!(!processed.original.windows(4).any(|w| w == b"Exif"));
        assert!(!processed.original.windows(12).any(|w| w == b"GPS-LATITUDE"));
        assert!(processed.blurhash.len() >= 6);
        assert!(!processed.preview.is_empty());
    }

    #[test]
    fn non_images_and_huge_images_are_refused() {
        assert!(process_image(b"%PDF-1.4 not an image", 1_000_000).is_err());
        assert!(process_image(&jpeg_with_exif(), 100).is_err());
    }

    #[test]
    fn focus_is_checked() {
        assert_eq!(parse_focus("0.5,-1").unwrap(), (0.5, -1.0));
        assert!(parse_focus("2,0").is_err());
        assert!(parse_focus("x").is_err());
    }
}
