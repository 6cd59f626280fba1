"""Runtime configuration, read from the environment (see config/backend.env)."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLS_")

    env: str = "development"
    data_dir: Path = Path("/data")
    cors_origins: str = "http://localhost:3000"
    max_upload_mb: int = 50
    log_level: str = "info"


settings = Settings()
