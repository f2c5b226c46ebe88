"""`rig data export --format lerobot`: a store written as LeRobot's v3.0 dataset layout.

LeRobot itself does not install here (its torchvision has no build for this torch), so the
folder is checked against the layout LeRobot's loader reads (`lerobot/datasets/utils.py`,
`dataset_metadata.py`): info.json's templates and totals, the episodes table's row ranges, the
tasks table's pandas index, the Hugging Face image features, and every frame and action read
back against the store. (Checked once by hand with pandas 2 and `datasets` 5, which load it
as LeRobot does: docs/trajectory-store.md.)
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from rig.cli import main
from rig.trajectories import TrajectoryStore
from rig.trajectories.lerobot import EPISODES_PATH, read_frame
from rig.trajectories.synthetic import fill_store


@pytest.fixture()
def exported(tmp_path):
    store = fill_store(tmp_path / "s", episodes=3, length=10, imagine=True)
    out = tmp_path / "lerobot"
    assert main(["data", "export", str(store), str(out), "--format", "lerobot",
                 "--fps", "10"]) == 0
    return store, out


def test_layout_and_info(exported):
    _, out = exported
    info = json.loads((out / "meta" / "info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 10
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (3, 30, 3)
    assert info["splits"] == {"train": "0:3"} and info["video_path"] is None
    features = info["features"]
    for name in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
        assert features[name]["shape"] == [1]
    assert features["observation.image"]["dtype"] == "image"
    assert features["observation.image"]["shape"] == [16, 16, 3]
    assert features["observation.image"]["names"] == ["height", "width", "channels"]
    assert features["action"]["dtype"] == "int64" and features["reasoning"]["dtype"] == "string"
    assert "observation.imagined_next_image" in features and "review" in features
    data = out / info["data_path"].format(chunk_index=0, file_index=0)
    table = pq.read_table(data)
    assert table.num_rows == 30 and set(table.column_names) == set(features)
    # the image column is the Hugging Face Image struct, declared as such for `datasets`
    declared = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert declared["observation.image"] == {"_type": "Image"}
    assert declared["action"] == {"dtype": "int64", "_type": "Value"}
    stats = json.loads((out / "meta" / "stats.json").read_text())
    assert np.asarray(stats["observation.image"]["mean"]).shape == (3, 1, 1)
    assert stats["action"]["min"] == [0] and stats["action"]["max"] == [2]
    assert stats["index"]["count"] == [30]


def test_episodes_and_tasks_tables(exported):
    _, out = exported
    episodes = pq.read_table(out / EPISODES_PATH.format(chunk_index=0, file_index=0))
    rows = episodes.to_pylist()
    assert [r["episode_index"] for r in rows] == [0, 1, 2]
    assert [(r["dataset_from_index"], r["dataset_to_index"]) for r in rows] == \
        [(0, 10), (10, 20), (20, 30)]
    assert [r["tasks"] for r in rows] == [["task 0"], ["task 1"], ["task 2"]]
    assert rows[1]["length"] == 10 and rows[1]["data/file_index"] == 0
    assert rows[2]["stats/action/mean"] == [2.0]
    tasks = pq.read_table(out / "meta" / "tasks.parquet")
    assert tasks.column("task").to_pylist() == ["task 0", "task 1", "task 2"]
    assert tasks.column("task_index").to_pylist() == [0, 1, 2]
    # LeRobot looks a task up by the DataFrame's index: pandas restores "task" as the index
    assert json.loads(tasks.schema.metadata[b"pandas"])["index_columns"] == ["task"]


def test_every_frame_reads_back_as_the_store_holds_it(exported):
    store_path, out = exported
    with TrajectoryStore.open(store_path, "r") as store:
        images, actions = store.read("image"), store.read("action")
        texts, reasoning = store.read("action_text"), store.read("reasoning")
        ended = store.read("terminated") | store.read("truncated")
    for index in (0, 9, 10, 27):
        row = read_frame(out, index)
        assert np.array_equal(row["observation.image"], images[index])
        assert row["action"] == actions[index] and row["action_text"] == texts[index]
        assert row["reasoning"] == reasoning[index]
        assert row["episode_index"] == index // 10 and row["frame_index"] == index % 10
        assert row["timestamp"] == pytest.approx((index % 10) / 10)
        assert row["task_index"] == index // 10
        # done on an episode's last step, where the world ended or cut it
        assert row["next.done"] == (index % 10 == 9 and bool(ended[index]))


def test_refuses_an_occupied_folder_and_keeps_it(exported, tmp_path, capsys):
    store, out = exported
    before = (out / "meta" / "info.json").read_text()
    assert main(["data", "export", str(store), str(out), "--format", "lerobot"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "meta" / "info.json").read_text() == before
    assert main(["data", "export", str(store), str(out), "--format", "lerobot",
                 "--overwrite", "--fps", "5"]) == 0
    assert json.loads((out / "meta" / "info.json").read_text())["fps"] == 5
    assert not (tmp_path / "lerobot.partial").exists()
    assert main(["data", "export", str(store), str(tmp_path / "x.avi"), "--format",
                 "parquet"]) == 2
