# bench/: see the fragment owner.
