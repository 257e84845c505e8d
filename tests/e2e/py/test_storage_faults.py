"""A store that cannot be written (a full disk, as a file-size limit on the
running server): writes fail with InternalServerException and change
nothing, reads keep working, and writing resumes when space returns."""
import resource

import pytest
from botocore.exceptions import ClientError

from conftest import Server, client, sqlite_only


@sqlite_only  # the PostgreSQL counterpart is test_nodes.py's database restart
def test_writes_fail_cleanly_and_recover():
    s = Server().start()
    try:
        c = client(s)
        arn = c.create_stage(name="before", tags={"a": "1"})["stage"]["arn"]
        soft, hard = resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (4096, hard))  # no file may grow
        try:
            for call in (lambda: c.create_stage(name="during"),
                         lambda: c.update_stage(arn=arn, name="changed"),
                         lambda: c.tag_resource(resourceArn=arn, tags={"b": "2"}),
                         lambda: c.create_participant_token(stageArn=arn)):
                with pytest.raises(ClientError) as ei:
                    call()
                e = ei.value.response
                assert (e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]) == \
                    ("InternalServerException", 500)
            # reads keep working, and show nothing of the failed writes
            got = c.get_stage(arn=arn)["stage"]
            assert (got["name"], got["tags"]) == ("before", {"a": "1"})
            assert [x["name"] for x in c.list_stages()["stages"]] == ["before"]
        finally:
            resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))  # space returns
        c.update_stage(arn=arn, name="after")
        c.create_stage(name="later")
        assert sorted(x["name"] for x in c.list_stages()["stages"]) == ["after", "later"]
        s.restart()
        assert sorted(x["name"] for x in client(s).list_stages()["stages"]) == ["after", "later"]
    finally:
        s.stop()
