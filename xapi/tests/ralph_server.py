"""Ralph's LRS server with its file-system backend, as the tests run it:
``python -m xapi.tests.ralph_server PORT`` (configured by the RALPH_* environment).

Ralph 5.1's file-system LRS writes its statements file with the CREATE operation, so it
takes the first POST and answers 500 to every later one ("already exists and overwrite is
not allowed"). An LRS file is appended to: this sets that one default and changes nothing
else of Ralph.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
