"""Hosted SFTP inbox: an SFTP server run by the hub where wholesalers push files."""
