# daemon/: see the fragment owner.
