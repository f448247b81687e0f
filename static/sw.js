// The service worker: written in the next commit.
