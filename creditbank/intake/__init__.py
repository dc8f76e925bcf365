"""Outside input into validated commands: JSON bodies and batches, CSV and XLSX sheets, and the
upload templates. Pure: no Flask, no database; the API and the CLI both call it."""
