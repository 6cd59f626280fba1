"""Log ingestion and summaries: upload a Moodle "logstore" CSV export, get per-user activity."""

import csv
import io
from collections import Counter

from fastapi import APIRouter, HTTPException, UploadFile

from app.settings import settings

router = APIRouter(prefix="/api/logs", tags=["logs"])


@router.post("/upload")
async def upload(file: UploadFile) -> dict:
    raw = await file.read()
    if len(raw) > settings.max_upload_mb * 1024 * 1024:
        raise HTTPException(status_code=413, detail="log export too large")
    target = settings.data_dir / "uploads" / (file.filename or "export.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw)
    return {"stored": target.name, "bytes": len(raw)}


@router.get("/summary")
def summary() -> dict:
    per_user: Counter[str] = Counter()
    per_event: Counter[str] = Counter()
    for path in sorted((settings.data_dir / "uploads").glob("*.csv")):
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        for row in reader:
            per_user[row.get("User full name", "unknown")] += 1
            per_event[row.get("Event name", "unknown")] += 1
    return {
        "events": sum(per_event.values()),
        "top_users": per_user.most_common(10),
        "top_events": per_event.most_common(10),
    }
