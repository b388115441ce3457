#include "ui/camera_scanner.hpp"

#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <utility>

#include "ui/qr/qr_code.hpp"
#include "ui/video_frame_luma.hpp"

namespace sotto::ui {

std::vector<QString> read_camera_image(const QImage& luma, bool flip) {
    QImage img = luma;
    if (std::max(img.width(), img.height()) > kCameraReadSide)
        img = img.scaled(kCameraReadSide, kCameraReadSide, Qt::KeepAspectRatio,
                         Qt::SmoothTransformation);
    if (flip) img = img.mirrored(true, false);
    return qr::decode_qr(img);
}

CameraScanner::CameraScanner(QObject* parent) : QObject(parent) {
    later_.setSingleShot(true);
    connect(&later_, &QTimer::timeout, this, &CameraScanner::start_next);
    connect(&watcher_, &QFutureWatcherBase::finished, this, &CameraScanner::decoded);
}

// A decode still running only holds its own copy of the picture; nobody
// waits for it and its result goes nowhere.
CameraScanner::~CameraScanner() = default;

void CameraScanner::setVideoSink(QVideoSink* sink) {
    if (sink == sink_) return;
    if (sink_) sink_->disconnect(this);
    sink_ = sink;
    // Auto connection: direct when the sink is fed on our thread, queued
    // when a media backend feeds it from its streaming thread.
    if (sink_) connect(sink_, &QVideoSink::videoFrameChanged, this, &CameraScanner::offer);
    emit videoSinkChanged();
}

void CameraScanner::setActive(bool active) {
    if (active == active_) return;
    active_ = active;
    ++session_;
    pending_ = {};
    later_.stop();
    seen_.clear();
    if (frames_read_ != 0) {
        frames_read_ = 0;
        emit framesReadChanged();
    }
    emit activeChanged();
}

void CameraScanner::setInterval(int ms) {
    ms = std::max(0, ms);
    if (ms == interval_ms_) return;
    interval_ms_ = ms;
    emit intervalChanged();
}

void CameraScanner::offer(const QVideoFrame& frame) {
    if (!active_ || !frame.isValid()) return;
    pending_ = frame;  // a newer frame replaces one not yet read
    start_next();
}

void CameraScanner::start_next() {
    if (!active_ || !pending_.isValid() || busy_) return;
    if (since_start_.isValid() && since_start_.elapsed() < interval_ms_) {
        if (!later_.isActive()) later_.start(int(interval_ms_ - since_start_.elapsed()));
        return;
    }
    const QVideoFrame frame = std::exchange(pending_, QVideoFrame());
    // Mapping stays on this thread: a frame in GPU memory can only be read
    // where its context lives. Copying the luma out is cheap; decoding is not.
    QImage luma = video_frame_luma(frame);
    if (luma.isNull()) return;
    since_start_.start();
    decoding_session_ = session_;
    ++frames_read_;
    busy_ = true;
    watcher_.setFuture(QtConcurrent::run(
        [img = std::move(luma), flip = flip_next_] { return read_camera_image(img, flip); }));
    emit framesReadChanged();
    emit busyChanged();
}

void CameraScanner::decoded() {
    busy_ = false;
    emit busyChanged();
    const std::vector<QString> texts = watcher_.result();
    // Keep the orientation that reads codes; alternate while none is seen.
    if (texts.empty()) flip_next_ = !flip_next_;
    if (decoding_session_ == session_ && active_) {
        for (const QString& text : texts) {
            if (seen_.contains(text)) continue;
            seen_.insert(text);
            emit codeFound(text);
            // A receiver may have closed the dialog and stopped us.
            if (!active_ || decoding_session_ != session_) return;
        }
    }
    start_next();
}

}  // namespace sotto::ui
