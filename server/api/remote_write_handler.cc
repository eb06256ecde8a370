// POST /api/v1/write: Prometheus remote-write 1.0 receiver.
//
//   204  everything stored
//   400  malformed body (bad snappy / protobuf): nothing stored
//   413  over a request limit (decoded size, series, samples or labels per request;
//        RemoteWriteLimits): nothing stored
//   400  some samples rejected (invalid labels or timestamps, a series over the label limits,
//        out of order, duplicate, too old, too far in the future): the rest is stored, the first reason and the
//        counts are in the body. 4xx tells Prometheus not to retry, which is right: a resend
//        would be rejected again. (Prometheus 2.42 instead rolls the whole request back on
//        its first bad sample; a sender that drops the batch on 4xx then loses the good
//        series too, so Tally keeps them: docs/compatibility.md.)
//   500  storage failed (a retry can help); 503 when storage reports Unavailable, e.g. the
//        store is read-only after a full disk (the sender retries until space is back).
#include "absl/strings/str_cat.h"
#include "server/api/http_api.h"
#include "storage/ingest/remote_write.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

void HttpApi::RemoteWrite(const HttpRequest& req, HttpResponse* resp) {
  resp->content_type = "text/plain; charset=utf-8";
  // Reused per thread so the decompression buffer and views stay allocated.
  thread_local storage::WriteRequestDecoder decoder;
  decoder.set_limits(options_.remote_write_limits);
  absl::Status s = decoder.DecodeSnappy(req.body);
  if (!s.ok()) {
    // Over a size or count limit: 413, as the HTTP layer answers a body over its limit.
    resp->status = s.code() == absl::StatusCode::kResourceExhausted ? 413 : 400;
    resp->body = absl::StrCat(s.message(), "\n");
    metrics_->AddRemoteWriteRequest(resp->status);
    return;
  }
  absl::StatusOr<storage::RemoteWriteResult> r =
      storage::ApplyWriteRequest(decoder, db_, options_.remote_write_limits.series);
  if (!r.ok()) {
    resp->status = r.status().code() == absl::StatusCode::kUnavailable ? 503 : 500;
    resp->body = absl::StrCat("storage error: ", r.status().message(), "\n");
    metrics_->AddRemoteWriteRequest(resp->status);
    return;
  }
  metrics_->AddIngested("remote_write", r->samples_appended);
  metrics_->AddRejected(storage::RejectReason::kInvalid, r->rejected_invalid);
  metrics_->AddRejectedOverLabelLimits(r->rejected_limit);
  metrics_->AddRejected(storage::RejectReason::kOutOfOrder, r->commit.rejected_out_of_order);
  metrics_->AddRejected(storage::RejectReason::kDuplicate, r->commit.rejected_duplicate);
  metrics_->AddRejected(storage::RejectReason::kTooOld, r->commit.rejected_too_old);
  metrics_->AddRejected(storage::RejectReason::kTooFarInFuture,
                        r->commit.rejected_too_far_in_future);
  if (r->rejected() > 0) {
    resp->status = 400;
    resp->body = absl::StrCat(r->first_error, " (", r->rejected(), " of ",
                              r->rejected() + r->samples_appended,
                              " samples rejected; the others were stored)\n");
  } else {
    resp->status = 204;
    resp->allow_gzip = false;
  }
  metrics_->AddRemoteWriteRequest(resp->status);
}

}  // namespace tally::server::api
