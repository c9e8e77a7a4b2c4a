# systemd/: see the fragment owner.
