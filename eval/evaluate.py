"""lingosum's evaluation script: language identification and sentence segmentation.

    python eval/evaluate.py langid  PATH/TO/langid_10lang.tsv
    python eval/evaluate.py segment PATH/TO/ntrex128
    python eval/evaluate.py segment-web PATH/TO/en_ewt-ud-dev.conllu [...]
    python eval/evaluate.py shorttext PATH/TO/evaldata [--split dev|heldout]
    python eval/evaluate.py shorttext eval/data/tatoeba_short.tsv
    python eval/evaluate.py all     PATH/TO/evaldata

The data is not shipped with lingosum (see each dataset's licence); pass its path.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import langid_eval  # noqa: E402
import segmentation_eval  # noqa: E402
import shorttext_eval  # noqa: E402

USAGE = __doc__ or ""


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"langid", "segment", "segment-web", "shorttext", "all"}:
        sys.stderr.write(USAGE)
        return 2
    command, path, rest = argv[0], Path(argv[1]), argv[2:]
    if command == "langid":
        return langid_eval.main([str(path), *rest])
    if command == "segment":
        return segmentation_eval.main([str(path), *rest])
    if command == "segment-web":
        return segmentation_eval.main(["--web", str(path), *rest])
    if command == "shorttext" and path.suffix == ".tsv":
        return shorttext_eval.main(["--tsv", str(path), *rest])
    if command == "shorttext":
        return shorttext_eval.main([str(path), *rest])
    langid = langid_eval.main([str(path / "langid" / "langid_10lang.tsv")])
    segment = segmentation_eval.main([str(path / "mt" / "ntrex128")])
    shorttext = shorttext_eval.main([str(path)])
    return langid or segment or shorttext


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
