// Reads QR codes from a live camera picture, for adding a contact by holding
// their invite code up to the camera (issue 4). The QML camera dialog puts a
// Camera and a VideoOutput in a CaptureSession and gives us the output's
// video sink; we watch its frames. A few times a second the newest frame's
// brightness (video_frame_luma) goes to qr::decode_qr on a worker thread —
// one at a time, never a backlog of stale frames, never on the GUI thread —
// and each text found is reported once per scanning session. After a read
// that finds nothing the next frame is read flipped left to right: some
// webcam drivers mirror the picture, and a mirrored QR code does not decode. Frames are read in
// memory only and dropped at once; nothing is stored.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QVideoFrame>
#include <QVideoSink>
#include <vector>

namespace sotto::ui {

// One read, as the worker thread does it: the picture (a frame's luma) is
// scaled down to at most kCameraReadSide pixels on its long side — a code
// held up to a camera fills a good part of the picture, and a 1080p frame
// would cost five times as much to read for nothing — optionally flipped
// left to right, and decoded.
inline constexpr int kCameraReadSide = 1280;
std::vector<QString> read_camera_image(const QImage& luma, bool flip);

class CameraScanner : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QVideoSink* videoSink READ videoSink WRITE setVideoSink NOTIFY videoSinkChanged)
    // Scanning only while active; turning it on again forgets the codes
    // already reported, so a code can be offered again after a retry.
    Q_PROPERTY(bool active READ active WRITE setActive NOTIFY activeChanged)
    // At least this many milliseconds between the starts of two decodes.
    Q_PROPERTY(int interval READ interval WRITE setInterval NOTIFY intervalChanged)
    // Frames read so far in this session (for the view's "looking…" hint).
    Q_PROPERTY(int framesRead READ framesRead NOTIFY framesReadChanged)
    // A frame is being read now.
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
  public:
    explicit CameraScanner(QObject* parent = nullptr);
    ~CameraScanner() override;

    QVideoSink* videoSink() const { return sink_; }
    void setVideoSink(QVideoSink* sink);
    bool active() const { return active_; }
    void setActive(bool active);
    int interval() const { return interval_ms_; }
    void setInterval(int ms);
    int framesRead() const { return frames_read_; }
    bool busy() const { return busy_; }

    // Offers a frame as if the sink had shown it (the sink's signal lands here).
    void offer(const QVideoFrame& frame);

  signals:
    void videoSinkChanged();
    void activeChanged();
    void intervalChanged();
    void framesReadChanged();
    void busyChanged();
    // A QR code's text, the first time it is seen in this session.
    void codeFound(const QString& text);

  private:
    void start_next();
    void decoded();

    QPointer<QVideoSink> sink_;
    bool active_ = false;
    int interval_ms_ = 200;
    int frames_read_ = 0;
    bool flip_next_ = false;
    // Set from the start of a read until its result is handled here (the
    // future itself ends earlier, on the worker thread).
    bool busy_ = false;
    QVideoFrame pending_;  // the newest frame not yet read
    QFutureWatcher<std::vector<QString>> watcher_;
    QElapsedTimer since_start_;
    QTimer later_;
    // Results of a decode started before the session changed are ignored.
    quint64 session_ = 0;
    quint64 decoding_session_ = 0;
    QSet<QString> seen_;
};

}  // namespace sotto::ui
