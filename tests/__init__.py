"""The test suite. Settings for every test are set here, before any app module reads them."""

import os

# Cards are compared by plain words unless a test asks for the model, and no thread embeds
# behind the tests' backs: a test embeds when it means to (app.embedding.embed_all).
os.environ.setdefault("ACTIONCARDS_ENCODER", "words")
os.environ.setdefault("ACTIONCARDS_EMBED_IN_BACKGROUND", "false")
