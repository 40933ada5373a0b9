"""The bank's answer for a disbursement batch (回单), read back through the API: the
bank's result file as it came (multipart, field ``file``: CSV in UTF-8 or GB18030, or
XLSX), or its lines as JSON. The same service as the batch page: the whole answer is
checked first and refused with each line's error, the same answer twice changes nothing."""
from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from marketplace.api.claims import BatchOut, batch_json
from marketplace.api.spec import MAX_ID, Fen, operation
from marketplace.api.views import bp
from marketplace.claims import bank_results
from marketplace.claims import permissions as perms
from marketplace.claims.models import DisbursementBatch
from marketplace.core.errors import NotFound
from marketplace.extensions import db

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ResultLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=40,
                           description="The payee row's reference in the bank file "
                                       "(B<batch>-A<agency>, first in its purpose).")
    status: Literal["paid", "failed", "returned"]
    amount_fen: Fen | None = Field(default=None, description="The row's amount as the bank "
                                                             "read it; refused unless it "
                                                             "is the row's.")
    bank_reference: str | None = Field(default=None, max_length=100,
                                       description="Required for a paid line.")
    reason: str | None = Field(default=None, max_length=200)


class BankResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[ResultLineIn] = Field(min_length=1, max_length=bank_results.MAX_ROWS)


class LineOutcomeOut(BaseModel):
    row: int = Field(description="The line's row in the file (1-based), or its place in "
                                 "the JSON list.")
    reference: str
    status: Literal["paid", "failed", "returned"]
    amount_fen: int
    outcome: Literal["applied", "unchanged"]


class BankResultOut(BaseModel):
    applied: bool = Field(description="False when the answer changed nothing (the same "
                                      "file again, or only lines already recorded).")
    bank_result_id: int | None
    outcomes: list[LineOutcomeOut]
    batch: BatchOut


@operation(bp, "/disbursements/<int:batch_id>/bank-result", "POST", tag="claims",
           summary="Read back the bank's result file of a batch: paid lines are posted, "
                   "failed and returned ones become payable again; a wrong file is refused "
                   "whole with each line's error (supervisors)",
           body=BankResultIn, upload="file", responses={200: BankResultOut},
           rule=perms.can_import_bank_result, errors=(404, 409))
def import_bank_result(batch_id, body, upload):
    batch = db.session.get(DisbursementBatch, batch_id) if batch_id <= MAX_ID else None
    if batch is None:
        raise NotFound()
    if upload is not None:
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            raise bank_results.BankResultRefused(details={"errors": [
                bank_results.line_error(0, "too_large", size=MAX_UPLOAD_BYTES // 2**20)]})
        result, outcomes = bank_results.import_result(batch, g.api_user, raw,
                                                      upload.filename or "result.csv")
    else:
        lines, raw = bank_results.lines_from_json([line.model_dump()
                                                   for line in body.lines])
        result, outcomes = bank_results.import_result(batch, g.api_user, raw, "api.json",
                                                      lines=lines)
    db.session.commit()
    return jsonify(applied=result is not None,
                   bank_result_id=result.id if result else None, outcomes=outcomes,
                   batch=batch_json(db.session.get(DisbursementBatch, batch_id)))
