"""Reading teachers, students and data from files, and writing outputs safely.

Teachers come from the files their own libraries write: XGBoost JSON or UBJ
(``Booster.save_model``), LightGBM text models, scikit-learn models saved with skops,
and ONNX graphs (through onnxruntime). Pickle and joblib files are read only when the
caller says it trusts them, because loading a pickle runs code.

Students are written with skops by :func:`save` and read back with :func:`load`;
interpretkd's own types are trusted, anything else must be trusted by name. Every
output is written atomically: to a temporary file in the destination's directory,
then renamed over it, so an interrupted run never leaves a half-written file, and an
existing file is replaced only when the caller asks for it.

Modules: ``_atomic`` (safe writes), ``_students`` (save / load), ``_teachers``
(teacher files), ``_tables`` (CSV and Parquet), ``_distillers`` (detaching a
teacher) and ``_common`` (formats, errors, trust).
"""

from interpretkd.io._atomic import atomic_output, check_output_path, write_bytes
from interpretkd.io._common import ModelFormatError, UntrustedFileError
from interpretkd.io._distillers import teacher_task, with_teacher, without_teacher
from interpretkd.io._students import load, save
from interpretkd.io._tables import prepare_features, read_table, write_table
from interpretkd.io._teachers import (
    detect_format,
    load_teacher,
    model_feature_names,
    model_n_features,
)

__all__ = [
    "ModelFormatError",
    "UntrustedFileError",
    "atomic_output",
    "check_output_path",
    "detect_format",
    "load",
    "load_teacher",
    "model_feature_names",
    "model_n_features",
    "prepare_features",
    "read_table",
    "save",
    "teacher_task",
    "with_teacher",
    "without_teacher",
    "write_bytes",
    "write_table",
]
