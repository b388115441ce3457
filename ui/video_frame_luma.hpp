// The brightness of one camera frame as an 8-bit grayscale image: all a QR
// reader looks at. Webcams deliver YUV frames, whose Y plane already is that
// picture, so it is copied out row by row; this is cheaper than
// QVideoFrame::toImage()'s colour conversion and loses nothing the reader
// needs. Any other format goes through toImage(). Part of scanning an invite
// code with a camera (issue 4, "add a contact by scanning").
#pragma once

#include <QImage>
#include <QVideoFrame>

namespace sotto::ui {

// A Format_Grayscale8 image for YUV and gray formats, whatever toImage()
// gives for the rest and for YUV frames it cannot map (in GPU memory, or a
// plane smaller than the frame's size says); a null image if the frame
// cannot be read at all. The
// pixels are as delivered: a frame's "mirrored" flag only asks views to
// show it flipped, like a mirror, and does not change what a reader sees.
QImage video_frame_luma(const QVideoFrame& frame);

}  // namespace sotto::ui
