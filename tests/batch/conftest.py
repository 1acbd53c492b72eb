from tests.batch.standins import install

install()
