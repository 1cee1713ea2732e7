"""Model and asset downloads into the server's model folders.

`AssetDownloads` (service.py) is the entry point: it checks where a download may come from
(`sources.py`) and go to (`targets.py`), records it (`store.py`), runs the HTTP transfer
(`transfer.py`), and reports progress as `asset_download` messages (`models.py`).
"""
