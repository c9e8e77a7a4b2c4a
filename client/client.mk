# client/: see the fragment owner.
